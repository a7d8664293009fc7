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

    /// <summary>
    /// One block per row, stepped while some row's plan has a step left and its block a mask. That is the reference
    /// samplers' fixed number of calls (LLaDA's steps per block, Dream's steps), ending early only when the block has
    /// no mask left, after which their calls could commit nothing. Where the model predicted its own mask token the
    /// position stays masked; a full-canvas step also offers such leftovers of earlier blocks as candidates, as
    /// LLaDA's <c>generate.py</c> and Fast-dLLM's block-start calls do (they rank every mask before the block's end).
    /// </summary>
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
        int window = lengths.Max(), cap = 0;
        foreach (var (row, i) in _rows.Select((row, i) => (row, i)))
        {
            int steps = Math.Max(1, (int)Math.Round((double)_totalSteps * lengths[i] / _answerLength));
            row.BlockStep = 0;
            row.Plan = _policy.BeginBlock(CountMasks(row, row.PromptLength + row.Block * _blockLength, lengths[i]), steps,
                (int)(row.Seed + row.Block));
            cap = Math.Max(cap, row.Plan.MaxSteps);
        }
        var context = new ScoringContext { Options = _options, Generators = _rows.Select(r => r.Random!).ToArray(), EndTokenIds = _config.EndTokenIds };

        using var scope = NewDisposeScope();
        var keyMask = padded ? tensor(real, device: device).view(batch, length) : null;
        var positions = keyMask is null ? null : keyMask.to_type(ScalarType.Int64).cumsum(-1).sub_(1).clamp_min_(0);
        using var cache = _options.Cache == CacheMode.None ? null : model.CreateCache(batch, length);
        // Index tensors and host buffers are fixed for the round: built once here, not per step.
        var round = new RoundIndex(starts, lengths, window, _shift, keyMask, positions, device);
        var buffers = new StepBuffers(batch, length, round.FedColumns.Length, 2 * batch * (window + 16));
        var active = new bool[batch];
        // Masks left in earlier blocks (only where the model predicted its mask token) can only be committed, not added.
        bool leftovers = _rows.Any(r => r.Canvas.AsSpan(r.PromptLength, r.Block * _blockLength).Contains(_mask));

        var profile = StepProfiler.Sink;
        for (int step = 0; ; step++)
        {
            long t0 = profile is null ? 0 : Stopwatch.GetTimestamp(), a0 = profile is null ? 0 : GC.GetAllocatedBytesForCurrentThread();
            cancellationToken.ThrowIfCancellationRequested();
            bool any = false;
            for (int r = 0; r < batch; r++) any |= active[r] = Active(_rows[r], lengths[r]);
            if (!any) break;
            // Every plan bounds its steps (MaxSteps), so this only fires on a bug: a clear error, never a hang.
            if (step >= cap) throw new InvalidOperationException($"Decoding exceeded its cap of {cap} model calls for one block.");
            bool full = cache is null || step == 0;
            var candidates = full && leftovers ? WithLeftovers(round.Window, pads, device) ?? round.Window : round.Window;
            Span<double> scored;
            long t1 = profile is null ? 0 : Stopwatch.GetTimestamp(), a1 = profile is null ? 0 : GC.GetAllocatedBytesForCurrentThread();
            using (NewDisposeScope())
            {
                var logits = Logits(full, cache, round, candidates, length, pads, buffers);                 // [B, W, V]
                using var host = _policy.Score(logits, context).cpu();                                     // the step's one sync
                scored = buffers.Scored(checked((int)host.numel()));
                host.data<double>().CopyTo(scored, 0, 0);
            }
            long t2 = profile is null ? 0 : Stopwatch.GetTimestamp(), a2 = profile is null ? 0 : GC.GetAllocatedBytesForCurrentThread();
            Commit(scored, candidates, active, pads, buffers);
            if (profile is not null)
                profile(new StepProfile(full, Stopwatch.GetElapsedTime(t0, t1) + Stopwatch.GetElapsedTime(t2), Stopwatch.GetElapsedTime(t1, t2),
                    a1 - a0 + GC.GetAllocatedBytesForCurrentThread() - a2, a2 - a1));
        }
    }

    /// <summary>The round's window with each row's masks left in earlier blocks in front, or null when there are none
    /// (the usual case: only a model that predicts its own mask token leaves any).</summary>
    private StepWindow? WithLeftovers(StepWindow blockWindow, int[] pads, Device device)
    {
        List<long>[]? leftovers = null;
        for (int r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            for (int i = row.PromptLength; i < row.PromptLength + row.Block * _blockLength; i++)
                if (row.Canvas[i] == _mask) (leftovers ??= Enumerable.Range(0, _rows.Count).Select(_ => new List<long>()).ToArray())[r].Add(pads[r] + i);
        }
        if (leftovers is null) return null;
        int batch = _rows.Count, width = Enumerable.Range(0, batch).Max(r => leftovers[r].Count + blockWindow.Counts[r]);
        var columns = new long[batch * width];
        var counts = new int[batch];
        for (int r = 0; r < batch; r++)
        {
            var row = leftovers[r];
            row.AddRange(blockWindow.Columns.AsSpan(r * blockWindow.Width, blockWindow.Counts[r]).ToArray());
            counts[r] = row.Count;
            for (int j = 0; j < width; j++) columns[r * width + j] = row[Math.Min(j, Math.Max(0, row.Count - 1))];
        }
        var index = tensor(columns.Select(c => c - _shift).ToArray(), device: device).view(batch, width);
        return new StepWindow(width, columns, counts, index);
    }

    private Tensor Logits(bool full, KvCache? cache, RoundIndex round, StepWindow candidates, int length, int[] pads, StepBuffers buffers)
    {
        var model = _owner.Model;
        int batch = _rows.Count;
        if (full)
        {
            // A full forward; with a cache it also (re)fills every row of it.
            Padded(length, pads, buffers.Canvas);
            var canvas = buffers.CanvasTensor.to(model.Device);
            if (_options.CfgScale > 0) return GuidedLogits(canvas, round.KeyMask, round.Positions, candidates.LogitsIndex);
            return model.Forward(canvas, new ForwardOptions
            {
                Cache = cache, KeyMask = round.KeyMask, PositionIds = round.Positions, LogitsIndex = candidates.LogitsIndex,
            });
        }
        if (_options.Cache == CacheMode.Prefix)
        {
            // Prefix cache: every row is at the same block (no newcomers under Prefix); feed the block and all after it.
            int from = round.Starts[0] - _shift;
            Padded(length, pads, buffers.Canvas);
            var tail = buffers.CanvasTensor.to(model.Device).narrow(1, from, length - from);
            return model.Forward(tail, new ForwardOptions
            {
                Cache = cache, Offset = from, KeyMask = round.KeyMask, PositionIds = round.Positions?.narrow(1, from, length - from),
                LogitsIndex = round.Local,
            });
        }
        // Dual cache: feed only each row's block (one more token before it for Dream), at its own columns; only those
        // tokens travel to the device.
        var fed = buffers.Fed;
        int width = round.FedColumns.Length / batch;
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < width; j++)
            {
                long column = round.FedColumns[r * width + j] - pads[r];
                fed[r * width + j] = column >= 0 && column < _rows[r].Canvas.Length ? _rows[r].Canvas[column] : 0;
            }
        return model.Forward(buffers.FedTensor!.to(model.Device), new ForwardOptions
        {
            Cache = cache, CacheColumns = round.Fed, KeyMask = round.KeyMask, PositionIds = round.FedPositions, LogitsIndex = round.Local,
        });
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

    private void Padded(int length, int[] pads, long[] canvas)
    {
        long pad = _config.PadTokenId ?? _config.EndTokenIds.FirstOrDefault();
        Array.Fill(canvas, pad);
        for (int r = 0; r < _rows.Count; r++) _rows[r].Canvas.CopyTo(canvas.AsSpan(r * length + pads[r]));
    }

    private void Commit(ReadOnlySpan<double> scored, StepWindow candidates, bool[] active, int[] pads, StepBuffers buffers)
    {
        int width = candidates.Width, plane = _rows.Count * width;
        for (int r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            if (!active[r]) continue;
            if (row.Request.CancellationToken.IsCancellationRequested)
            {
                row.Reason = DiffusionFinishReason.Cancelled;
                Finish(row);
                continue;
            }
            int count = candidates.Counts[r];
            var columns = candidates.Columns.AsSpan(r * width, count);
            buffers.ClearFlags(count);
            Span<bool> masked = buffers.Masked.AsSpan(0, count), commit = buffers.Commit.AsSpan(0, count);
            for (int j = 0; j < count; j++) masked[j] = row.Canvas[columns[j] - pads[r]] == _mask;
            var tokens = scored.Slice(r * width, count);
            row.Plan!.Choose(scored.Slice(plane + r * width, count), masked, row.BlockStep++, commit);
            List<(int, int)>? committed = _onStep is null ? null : [];
            for (int j = 0; j < count; j++)
            {
                if (!commit[j] || !masked[j]) continue;
                long at = columns[j] - pads[r];
                row.Canvas[at] = (long)tokens[j];
                committed?.Add(((int)at - row.PromptLength, (int)tokens[j]));
            }
            row.Steps++;
            bool finished = CheckFinished(row);
            if (_onStep is not null)
            {
                var answer = Answer(row);
                int stable = Array.IndexOf(answer, _mask);
                _onStep(new DiffusionStep(row.Id, row.Steps - 1, row.Block, committed!, answer, stable < 0 ? answer.Length : stable, finished));
            }
            if (finished) Finish(row);
        }
    }

    /// <summary>Whether the row takes the next step: its plan has one left and its block a mask.</summary>
    private bool Active(BatchRow row, int length) =>
        !row.Done && row.Plan!.HasStep(row.BlockStep) && CountMasks(row, row.PromptLength + row.Block * _blockLength, length) > 0;

    /// <summary>A row is done once an end token (or stop sequence) is committed with nothing masked before it:
    /// what follows can no longer change the answer, so it is not decoded. The answer is cut at the earlier of the
    /// two; with a trained model both often become final in the same step, so the stop strings are looked for in the
    /// text before the end token whenever the cut is first decided.</summary>
    private bool CheckFinished(BatchRow row)
    {
        var answer = row.Canvas.AsSpan(row.PromptLength, _answerLength);
        int firstMask = answer.IndexOf((long)_mask);
        int stableLength = firstMask < 0 ? answer.Length : firstMask;
        int end = -1;
        for (int i = 0; i < stableLength && end < 0; i++)
            if (IsEndToken(answer[i])) end = i;
        bool stop = end >= 0 && _options.StopAtEndToken;
        if (row.Cut < 0)
        {
            if (StopStringCut(row, end >= 0 ? end : stableLength) is var (keep, at))
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
    private (int Keep, int At)? StopStringCut(BatchRow row, int length)
    {
        if (row.Request.StopSequences is not { Count: > 0 } stops || _owner.Tokenizer is not { } tokenizer) return null;
        var answer = Answer(row);
        string text = tokenizer.Decode(answer.Take(length), skipSpecialTokens: true);
        int at = stops.Where(s => s.Length > 0).Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (at < 0) return null;
        int keep = 0;
        while (keep < length && tokenizer.Decode(answer.Take(keep + 1), skipSpecialTokens: true).Length <= at) keep++;
        return (keep, at);
    }

    private bool IsEndToken(long token)
    {
        var ends = _config.EndTokenIds;
        for (int i = 0; i < ends.Count; i++) if (ends[i] == token) return true;
        return false;
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
