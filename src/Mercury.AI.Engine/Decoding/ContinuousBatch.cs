using System.Diagnostics;
using Mercury.AI.Engine.Models;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Decoding;

/// <summary>One request's row: its own canvas <c>prompt + masks + suffix</c>, block and plan.</summary>
internal sealed class BatchRow(int id, GenerationRequest request, long[] canvas, int promptLength, int suffixLength)
{
    public int Id { get; } = id;
    public GenerationRequest Request { get; } = request;
    public long[] Canvas { get; } = canvas;
    public int PromptLength { get; } = promptLength;
    public int SuffixLength { get; } = suffixLength;
    public int Block { get; set; }
    public BlockPlan? Plan { get; set; }
    public Generator? Random { get; set; }
    public long Seed { get; set; }
    public int Steps { get; set; }
    public int BlockStep { get; set; }
    public int Cut { get; set; } = -1;
    /// <summary>Where the first stop string starts in the answer's text, or -1: the text ends exactly there.</summary>
    public int StopAt { get; set; } = -1;
    public bool Done { get; set; }
    public DiffusionFinishReason Reason { get; set; } = DiffusionFinishReason.Length;
    public Stopwatch Clock { get; } = Stopwatch.StartNew();
}

/// <summary>The rows of a continuous batch and the step loop over them. Host canvases are the truth; the device
/// gets them each step.</summary>
internal sealed class ContinuousBatch
{
    private readonly DiffusionGenerator _owner;
    private readonly GenerationRequest _template;
    private readonly DiffusionOptions _options;
    private readonly UnmaskingPolicy _policy;
    private readonly ModelConfig _config;
    private readonly Action<int, GenerationResult> _completed;
    private readonly Action<DiffusionStep>? _onStep;
    private readonly int _answerLength, _blockLength, _blocks, _totalSteps, _mask, _shift;
    private readonly List<BatchRow> _rows = [];
    private int _nextId;

    public ContinuousBatch(DiffusionGenerator owner, GenerationRequest template, Action<int, GenerationResult> completed, Action<DiffusionStep>? onStep)
    {
        _owner = owner;
        _template = template;
        _options = template.Options;
        _config = owner.Model.Config;
        _completed = completed;
        _onStep = onStep;
        _mask = _config.MaskTokenId;
        _policy = _options.Policy ?? (_config.Architecture == ModelArchitecture.Dream ? new DreamRemasking() : new LowConfidenceRemasking());
        // Dream predicts position i from the logits at i-1.
        _shift = _config.Architecture == ModelArchitecture.Dream ? 1 : 0;
        _answerLength = template.MaxNewTokens;
        if (_answerLength < 1) throw new ArgumentException("MaxNewTokens must be at least 1.", nameof(template));
        if (_options.CfgScale > 0 && _options.Cache != CacheMode.None)
            throw new ArgumentException("Classifier-free guidance (CfgScale) needs CacheMode.None.", nameof(template));
        _blockLength = Math.Clamp(_options.BlockLength ?? (_shift == 1 ? _answerLength : 32), 1, _answerLength);
        _blocks = (_answerLength + _blockLength - 1) / _blockLength;
        _totalSteps = Math.Max(_options.Steps ?? _answerLength, _blocks);
    }

    public void Admit(GenerationRequest request)
    {
        if (!CanJoin(request))
            throw new ArgumentException("Requests in one batch must share Options (the seed aside) and MaxNewTokens.", nameof(request));
        if (request.StopSequences is { Count: > 0 } && _owner.Tokenizer is null)
            throw new ArgumentException("Stop sequences need a tokenizer; construct the generator with one.", nameof(request));
        var prompt = Truncate(request);
        if (_shift == 1 && prompt.Length == 0)
            throw new ArgumentException("Dream needs at least one prompt token: it predicts each position from the one before.", nameof(request));
        var suffix = request.SuffixTokens ?? [];
        var canvas = new long[prompt.Length + _answerLength + suffix.Count];
        for (int i = 0; i < prompt.Length; i++) canvas[i] = prompt[i];
        canvas.AsSpan(prompt.Length, _answerLength).Fill(_mask);
        foreach (var (position, token) in request.FixedAnswerTokens ?? new Dictionary<int, int>())
        {
            if (position < 0 || position >= _answerLength)
                throw new ArgumentException($"Fixed answer token at {position} is outside the answer (0..{_answerLength - 1}).", nameof(request));
            canvas[prompt.Length + position] = token;
        }
        for (int i = 0; i < suffix.Count; i++) canvas[prompt.Length + _answerLength + i] = suffix[i];
        var row = new BatchRow(_nextId++, request, canvas, prompt.Length, suffix.Count);
        // One generator per row, seeded by the request alone, so a row's draws do not depend on its neighbours.
        row.Seed = request.Seed ?? request.Options.Seed ?? System.Random.Shared.NextInt64();
        row.Random = new Generator((ulong)row.Seed, _owner.Model.Device);
        _rows.Add(row);
    }

    /// <summary>Whether <paramref name="request"/> can decode in this batch: same options (the seed aside) and length.</summary>
    public bool CanJoin(GenerationRequest request) =>
        request.Options with { Seed = null } == _options with { Seed = null } && request.MaxNewTokens == _answerLength;

    private int[] Truncate(GenerationRequest request)
    {
        var prompt = request.PromptTokens.ToArray();
        int room = _config.MaxSequenceLength - request.MaxNewTokens - (request.SuffixTokens?.Count ?? 0);
        if (prompt.Length <= room) return prompt;
        if (_options.Overflow == PromptOverflow.TruncateStart && room > 0) return prompt[^room..];
        throw new ArgumentException(
            $"Prompt of {prompt.Length} tokens + {request.MaxNewTokens} new tokens + {request.SuffixTokens?.Count ?? 0} suffix tokens exceeds " +
            $"the model's max_sequence_length {_config.MaxSequenceLength}. Shorten the prompt, lower MaxNewTokens, or set Overflow = TruncateStart.");
    }

    public void Run(Func<GenerationRequest, IReadOnlyList<GenerationRequest>>? admit, Action<GenerationRequest, Exception>? rejected,
        CancellationToken cancellationToken)
    {
        while (_rows.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DecodeRound(cancellationToken);
            foreach (var row in _rows) row.Block++;
            foreach (var row in _rows.Where(r => !r.Done && r.Request.CancellationToken.IsCancellationRequested))
            {
                row.Reason = DiffusionFinishReason.Cancelled;
                Finish(row);
            }
            foreach (var row in _rows.Where(r => !r.Done && r.Block >= _blocks)) Finish(row);
            _rows.RemoveAll(r => r.Done);
            if (admit is not null && _options.Cache != CacheMode.Prefix)
                foreach (var request in admit(_template))
                {
                    try
                    {
                        Admit(request);
                    }
                    catch (ArgumentException e) when (rejected is not null)
                    {
                        rejected(request, e); // one bad newcomer must not end the batch
                    }
                }
        }
    }

    /// <summary>One block per row, stepped until no row has a mask left in its block.</summary>
    private void DecodeRound(CancellationToken cancellationToken)
    {
        var model = _owner.Model;
        var device = model.Device;
        // Layout: [left pad][prompt][answer][suffix][right pad], so rows at the same block share its columns.
        int batch = _rows.Count, promptMax = _rows.Max(r => r.PromptLength), suffixMax = _rows.Max(r => r.SuffixLength);
        int length = promptMax + _answerLength + suffixMax;
        var pads = _rows.Select(r => promptMax - r.PromptLength).ToArray();
        bool padded = pads.Any(p => p > 0) || _rows.Any(r => r.SuffixLength != suffixMax);
        var real = new bool[batch * length];
        for (int r = 0; r < batch; r++) real.AsSpan(r * length + pads[r], _rows[r].Canvas.Length).Fill(true);

        var starts = _rows.Select(r => promptMax + r.Block * _blockLength).ToArray();                 // block columns
        var lengths = _rows.Select(r => Math.Max(0, Math.Min(_blockLength, _answerLength - r.Block * _blockLength))).ToArray();
        int window = lengths.Max();
        foreach (var (row, i) in _rows.Select((row, i) => (row, i)))
        {
            int steps = Math.Max(1, (int)Math.Round((double)_totalSteps * lengths[i] / _answerLength));
            row.BlockStep = 0;
            row.Plan = _policy.BeginBlock(CountMasks(row, row.PromptLength + row.Block * _blockLength, lengths[i]), steps,
                (int)(row.Seed + row.Block));
        }
        var context = new ScoringContext { Options = _options, Generators = _rows.Select(r => r.Random!).ToArray(), EndTokenIds = _config.EndTokenIds };

        using var scope = NewDisposeScope();
        var keyMask = padded ? tensor(real, device: device).view(batch, length) : null;
        var positions = keyMask is null ? null : keyMask.to_type(ScalarType.Int64).cumsum(-1).sub_(1).clamp_min_(0);
        using var cache = _options.Cache == CacheMode.None ? null : model.CreateCache(batch, length);
        // Index tensors are fixed for the round: built once here, not per step.
        var round = new RoundIndex(starts, lengths, window, _shift, keyMask, positions, device);

        for (int step = 0; Enumerable.Range(0, _rows.Count).Any(i => Active(_rows[i], lengths[i])); step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double[] scored;
            using (NewDisposeScope())
            {
                var logits = Logits(step, cache, round, length, pads);                                  // [B, L, V]
                using var host = _policy.Score(logits, context).cpu();                                 // the step's one sync
                scored = host.data<double>().ToArray();
            }
            Commit(scored, window, lengths);
        }
    }

    private Tensor Logits(int step, KvCache? cache, RoundIndex round, int length, int[] pads)
    {
        var model = _owner.Model;
        int batch = _rows.Count;
        if (cache is null || step == 0)
        {
            // A full forward; with a cache it also (re)fills every row of it.
            var canvas = tensor(Padded(length, pads), device: model.Device).view(batch, length);
            if (_options.CfgScale > 0) return GuidedLogits(canvas, round.KeyMask, round.Positions, round.BlockLogits);
            return model.Forward(canvas, new ForwardOptions
            {
                Cache = cache, KeyMask = round.KeyMask, PositionIds = round.Positions, LogitsIndex = round.BlockLogits,
            });
        }
        if (_options.Cache == CacheMode.Prefix)
        {
            // Prefix cache: every row is at the same block (no newcomers under Prefix); feed the block and all after it.
            int from = round.Starts[0] - _shift;
            var tail = tensor(Padded(length, pads), device: model.Device).view(batch, length).narrow(1, from, length - from);
            return model.Forward(tail, new ForwardOptions
            {
                Cache = cache, Offset = from, KeyMask = round.KeyMask, PositionIds = round.Positions?.narrow(1, from, length - from),
                LogitsIndex = round.Local,
            });
        }
        // Dual cache: feed only each row's block (one more token before it for Dream), at its own columns; only those
        // tokens travel to the device.
        var fed = new long[round.FedColumns.Length];
        int width = round.FedColumns.Length / batch;
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < width; j++)
            {
                long column = round.FedColumns[r * width + j] - pads[r];
                fed[r * width + j] = column >= 0 && column < _rows[r].Canvas.Length ? _rows[r].Canvas[column] : 0;
            }
        return model.Forward(tensor(fed, device: model.Device).view(batch, width), new ForwardOptions
        {
            Cache = cache, CacheColumns = round.Fed, KeyMask = round.KeyMask, PositionIds = round.FedPositions, LogitsIndex = round.Local,
        });
    }

    /// <summary>The per-round index tensors of the step loop (on the device, in the round's dispose scope).</summary>
    private sealed class RoundIndex
    {
        public RoundIndex(int[] starts, int[] lengths, int window, int shift, Tensor? keyMask, Tensor? positions, Device device)
        {
            int batch = starts.Length;
            Starts = starts;
            KeyMask = keyMask;
            Positions = positions;
            // The fed column whose logits predict block position j (clamped for a shorter last block).
            BlockLogits = tensor(Columns(starts, lengths, window, -shift), device: device).view(batch, window);
            Local = tensor(Columns(new int[batch], lengths, window, 0), device: device).view(batch, window);
            FedColumns = Columns(starts, lengths.Select(l => l + shift).ToArray(), window + shift, -shift);
            Fed = tensor(FedColumns, device: device).view(batch, window + shift);
            FedPositions = positions is null ? Fed : positions.gather(1, Fed);
        }

        public int[] Starts { get; }
        public Tensor? KeyMask { get; }
        public Tensor? Positions { get; }
        public Tensor BlockLogits { get; }
        public Tensor Local { get; }
        public long[] FedColumns { get; }
        public Tensor Fed { get; }
        public Tensor FedPositions { get; }
    }

    /// <summary>LLaDA's unsupervised CFG: the unconditional canvas has the prompt masked; both run in one batch.</summary>
    private Tensor GuidedLogits(Tensor canvas, Tensor? keyMask, Tensor? positions, Tensor index)
    {
        int batch = _rows.Count;
        int promptMax = _rows.Max(r => r.PromptLength);
        var promptRegion = zeros(batch, canvas.shape[1], ScalarType.Bool, canvas.device);
        promptRegion.narrow(1, 0, promptMax).fill_(true);
        if (keyMask is not null) promptRegion.logical_and_(keyMask);
        var unconditional = canvas.masked_fill(promptRegion, _mask);
        var logits = _owner.Model.Forward(cat([canvas, unconditional], 0), new ForwardOptions
        {
            KeyMask = keyMask is null ? null : cat([keyMask, keyMask], 0),
            PositionIds = positions is null ? null : cat([positions, positions], 0),
            LogitsIndex = cat([index, index], 0),
        });
        var (conditional, unconditionalLogits) = (logits.narrow(0, 0, batch), logits.narrow(0, batch, batch));
        return unconditionalLogits + (_options.CfgScale + 1) * (conditional - unconditionalLogits);
    }

    /// <summary>Row-major <c>[B, width]</c> columns <c>start + offset + min(j, length - 1)</c>.</summary>
    private static long[] Columns(int[] starts, int[] lengths, int width, int offset)
    {
        var columns = new long[starts.Length * width];
        for (int r = 0; r < starts.Length; r++)
            for (int j = 0; j < width; j++)
                columns[r * width + j] = starts[r] + offset + Math.Min(j, Math.Max(0, lengths[r] - 1));
        return columns;
    }

    private long[] Padded(int length, int[] pads)
    {
        long pad = _config.PadTokenId ?? _config.EndTokenIds.FirstOrDefault();
        var canvas = new long[_rows.Count * length];
        Array.Fill(canvas, pad);
        for (int r = 0; r < _rows.Count; r++) _rows[r].Canvas.CopyTo(canvas.AsSpan(r * length + pads[r]));
        return canvas;
    }

    private void Commit(double[] scored, int window, int[] lengths)
    {
        int plane = _rows.Count * window;
        for (int r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            if (!Active(row, lengths[r])) continue;
            if (row.Request.CancellationToken.IsCancellationRequested)
            {
                row.Reason = DiffusionFinishReason.Cancelled;
                Finish(row);
                continue;
            }
            int start = row.PromptLength + row.Block * _blockLength, length = lengths[r];
            var masked = new bool[length];
            var commit = new bool[length];
            for (int j = 0; j < length; j++) masked[j] = row.Canvas[start + j] == _mask;
            var candidates = scored.AsSpan(r * window, length);
            row.Plan!.Choose(scored.AsSpan(plane + r * window, length), masked, row.BlockStep++, commit);
            var committed = new List<(int, int)>();
            for (int j = 0; j < length; j++)
            {
                if (!commit[j] || !masked[j]) continue;
                row.Canvas[start + j] = (long)candidates[j];
                committed.Add((start + j - row.PromptLength, (int)candidates[j]));
            }
            row.Steps++;
            bool finished = CheckFinished(row);
            if (_onStep is not null)
            {
                var answer = Answer(row);
                int stable = Array.IndexOf(answer, _mask);
                _onStep(new DiffusionStep(row.Id, row.Steps - 1, row.Block, committed, answer, stable < 0 ? answer.Length : stable, finished));
            }
            if (finished) Finish(row);
        }
    }

    private bool Active(BatchRow row, int length) =>
        !row.Done && CountMasks(row, row.PromptLength + row.Block * _blockLength, length) > 0;

    /// <summary>A row is done once an end token (or stop sequence) is committed with nothing masked before it:
    /// what follows can no longer change the answer, so it is not decoded. The answer is cut at the earlier of the
    /// two; with a trained model both often become final in the same step, so the stop strings are looked for in the
    /// text before the end token whenever the cut is first decided.</summary>
    private bool CheckFinished(BatchRow row)
    {
        var answer = Answer(row);
        int firstMask = Array.IndexOf(answer, _mask);
        int stableLength = firstMask < 0 ? answer.Length : firstMask;
        int end = Array.FindIndex(answer, 0, stableLength, t => _config.EndTokenIds.Contains(t));
        bool stop = end >= 0 && _options.StopAtEndToken;
        if (row.Cut < 0)
        {
            if (StopStringCut(row, answer, end >= 0 ? end : stableLength) is var (keep, at))
            {
                (row.Cut, row.StopAt) = (keep, at);
                stop = true;
            }
            else if (end >= 0)
            {
                row.Cut = end;
            }
        }
        if (row.Cut >= 0) row.Reason = DiffusionFinishReason.Stop;
        return stop || firstMask < 0;
    }

    /// <summary>Where the first stop string starts in the text of the first <paramref name="length"/> answer tokens,
    /// and how many whole tokens come before it; null when none occurs.</summary>
    private (int Keep, int At)? StopStringCut(BatchRow row, int[] answer, int length)
    {
        if (row.Request.StopSequences is not { Count: > 0 } stops || _owner.Tokenizer is not { } tokenizer) return null;
        string text = tokenizer.Decode(answer.Take(length), skipSpecialTokens: true);
        int at = stops.Where(s => s.Length > 0).Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (at < 0) return null;
        int keep = 0;
        while (keep < length && tokenizer.Decode(answer.Take(keep + 1), skipSpecialTokens: true).Length <= at) keep++;
        return (keep, at);
    }

    private void Finish(BatchRow row)
    {
        if (row.Done) return;
        row.Done = true;
        var answer = Answer(row);
        int firstMask = Array.IndexOf(answer, _mask);
        int cut = row.Cut >= 0 ? row.Cut : firstMask >= 0 ? firstMask : answer.Length;
        var tokens = answer.Take(cut).ToArray();
        _completed(row.Id, new GenerationResult
        {
            Tokens = tokens,
            Canvas = row.Canvas.Skip(row.PromptLength).Select(t => (int)t).ToArray(),
            // A stop string may start inside a token: the text ends exactly where it starts; Tokens keeps the whole tokens before.
            Text = _owner.Tokenizer is not { } tokenizer ? null
                : row.StopAt >= 0 ? TextBefore(tokenizer.Decode(answer.Take(Math.Min(cut + 1, answer.Length)), skipSpecialTokens: true), row.StopAt)
                : tokenizer.Decode(tokens, skipSpecialTokens: true),
            FinishReason = row.Reason,
            PromptTokenCount = row.PromptLength,
            ForwardCalls = row.Steps,
            Elapsed = row.Clock.Elapsed,
        });
        _owner.Logger.LogDebug("Row {Row} finished ({Reason}) after {Steps} steps, {Ms} ms", row.Id, row.Reason, row.Steps, row.Clock.ElapsedMilliseconds);
    }

    private static string TextBefore(string text, int at) => text[..Math.Min(at, text.Length)];

    private int[] Answer(BatchRow row) => row.Canvas.Skip(row.PromptLength).Take(_answerLength).Select(t => (int)t).ToArray();

    private int CountMasks(BatchRow row, int start, int length)
    {
        int n = 0;
        for (int i = start; i < start + length; i++) if (row.Canvas[i] == _mask) n++;
        return n;
    }
}
