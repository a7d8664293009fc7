using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Decoding;

/// <summary>An update of <see cref="DiffusionGenerator.GenerateStreamingAsync"/>: a step snapshot, then the result.</summary>
public sealed record DiffusionUpdate(DiffusionStep? Step, GenerationResult? Result);

/// <summary>
/// Turns prompts into answers with a masked-diffusion sampler. The canvas is <c>prompt + masks (+ suffix)</c>, cut into
/// semi-autoregressive blocks decoded left to right; each step runs the model, asks the
/// <see cref="UnmaskingPolicy"/> which masked candidates to commit, and writes them. One loop serves every policy and
/// cache mode; the model is used only through <see cref="IDiffusionLanguageModel.Forward"/>.
/// </summary>
/// <remarks>Synchronous on the calling thread and not thread-safe: one decode at a time per instance (the chat
/// provider queues requests into batches). Tensors never leave a step.</remarks>
public sealed class DiffusionGenerator
{
    private readonly ILogger _logger;

    public DiffusionGenerator(IDiffusionLanguageModel model, HuggingFaceTokenizer? tokenizer = null, ILogger<DiffusionGenerator>? logger = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public IDiffusionLanguageModel Model { get; }

    public HuggingFaceTokenizer? Tokenizer { get; }

    public GenerationResult Generate(GenerationRequest request, Action<DiffusionStep>? onStep = null, CancellationToken cancellationToken = default) =>
        GenerateBatch([request], onStep, cancellationToken)[0];

    /// <summary>Streams step snapshots while decoding on a worker thread, then the result.</summary>
    public async IAsyncEnumerable<DiffusionUpdate> GenerateStreamingAsync(GenerationRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<DiffusionUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var worker = Task.Run(() =>
        {
            try
            {
                var result = Generate(request, step => channel.Writer.TryWrite(new DiffusionUpdate(step, null)), cancellationToken);
                channel.Writer.TryWrite(new DiffusionUpdate(null, result));
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, CancellationToken.None);
        await foreach (var update in channel.Reader.ReadAllAsync(CancellationToken.None).WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return update;
        await worker.ConfigureAwait(false);
    }

    /// <summary>
    /// Decodes several requests in one batch per step (left padding and a key mask; RoPE positions from the mask),
    /// each row exactly as it would decode alone. Requests must share <see cref="GenerationRequest.Options"/> and
    /// <see cref="GenerationRequest.MaxNewTokens"/>.
    /// </summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<DiffusionStep>? onStep = null,
        CancellationToken cancellationToken = default)
    {
        if (requests.Count == 0) return [];
        var first = requests[0];
        foreach (var r in requests)
        {
            if (r.Options != first.Options || r.MaxNewTokens != first.MaxNewTokens)
                throw new ArgumentException("Requests in one batch must share Options and MaxNewTokens.", nameof(requests));
            if (r.StopSequences is { Count: > 0 } && Tokenizer is null)
                throw new ArgumentException("Stop sequences need a tokenizer; construct the generator with one.", nameof(requests));
        }
        var stopwatch = Stopwatch.StartNew();
        var run = new Run(this, requests);
        using var noGrad = no_grad();
        run.Decode(onStep, cancellationToken);
        return run.Results(stopwatch.Elapsed);
    }

    /// <summary>The state of one batch decode: the host canvas is the truth; the device gets it each step.</summary>
    private sealed class Run
    {
        private readonly DiffusionGenerator _owner;
        private readonly IReadOnlyList<GenerationRequest> _requests;
        private readonly DiffusionOptions _options;
        private readonly UnmaskingPolicy _policy;
        private readonly ModelConfig _config;
        private readonly int _batch, _length, _answerStart, _answerLength, _mask, _shift;
        private readonly long[] _canvas;        // [B, T] row-major
        private readonly int[] _promptLengths;  // after truncation
        private readonly bool[] _finished;
        private readonly int[] _cut;            // answer tokens kept per finished row
        private readonly bool _padded;
        private int _forwardCalls, _step;

        public Run(DiffusionGenerator owner, IReadOnlyList<GenerationRequest> requests)
        {
            _owner = owner;
            _requests = requests;
            _options = requests[0].Options;
            _config = owner.Model.Config;
            _mask = _config.MaskTokenId;
            _policy = _options.Policy ?? (_config.Architecture == ModelArchitecture.Dream ? new DreamRemasking() : new LowConfidenceRemasking());
            // Dream predicts position i from the logits at i-1.
            _shift = _config.Architecture == ModelArchitecture.Dream ? 1 : 0;
            _answerLength = requests[0].MaxNewTokens;
            if (_answerLength < 1) throw new ArgumentException("MaxNewTokens must be at least 1.", nameof(requests));
            if (_options.CfgScale > 0 && _options.Cache != CacheMode.None)
                throw new ArgumentException("Classifier-free guidance (CfgScale) needs CacheMode.None.", nameof(requests));

            var prompts = requests.Select(r => Truncate(r)).ToArray();
            _promptLengths = prompts.Select(p => p.Length).ToArray();
            if (_shift == 1 && _promptLengths.Any(l => l == 0))
                throw new ArgumentException("Dream needs at least one prompt token: it predicts each position from the one before.", nameof(requests));
            int suffixMax = requests.Max(r => r.SuffixTokens?.Count ?? 0);
            _batch = requests.Count;
            _answerStart = _promptLengths.Max();
            _length = _answerStart + _answerLength + suffixMax;
            _padded = _promptLengths.Any(l => l != _answerStart) || requests.Any(r => (r.SuffixTokens?.Count ?? 0) != suffixMax);

            // Row layout: [left pad][prompt][masks][suffix][right pad]; pads are never attended to.
            _canvas = new long[_batch * _length];
            _padMask = new bool[_batch * _length];
            long pad = _config.PadTokenId ?? _config.EndTokenIds.FirstOrDefault();
            for (int r = 0; r < _batch; r++)
            {
                var row = _canvas.AsSpan(r * _length, _length);
                row.Fill(pad);
                int offset = _answerStart - prompts[r].Length;
                for (int i = 0; i < prompts[r].Length; i++) row[offset + i] = prompts[r][i];
                row.Slice(_answerStart, _answerLength).Fill(_mask);
                var suffix = requests[r].SuffixTokens ?? [];
                for (int i = 0; i < suffix.Count; i++) row[_answerStart + _answerLength + i] = suffix[i];
                for (int i = 0; i < _length; i++)
                    _padMask[r * _length + i] = i >= offset && i < _answerStart + _answerLength + suffix.Count;
            }
            _finished = new bool[_batch];
            _cut = new int[_batch];
            Array.Fill(_cut, -1);
        }

        private readonly bool[] _padMask; // true = real token

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

        public void Decode(Action<DiffusionStep>? onStep, CancellationToken cancellationToken)
        {
            var model = _owner.Model;
            var device = model.Device;
            int blockLength = Math.Clamp(_options.BlockLength ?? (_shift == 1 ? _answerLength : 32), 1, _answerLength);
            int blocks = (_answerLength + blockLength - 1) / blockLength;
            int totalSteps = Math.Max(_options.Steps ?? _answerLength, blocks);
            long seed = _options.Seed ?? Random.Shared.NextInt64();
            var generators = Enumerable.Range(0, _batch).Select(r => new Generator((ulong)(seed + r), device)).ToArray();
            var context = new ScoringContext { Options = _options, Generators = generators, EndTokenIds = _config.EndTokenIds };

            using var keyMask = _padded ? tensor(_padMask, device: device).view(_batch, _length) : null;
            using var positions = keyMask is null ? null : keyMask.to_type(ScalarType.Int64).cumsum(-1).sub_(1).clamp_min_(0);
            using var cache = _options.Cache == CacheMode.None ? null : model.CreateCache(_batch, _length);
            var plans = new BlockPlan[_batch];

            for (int block = 0; block < blocks && !_finished.All(f => f); block++)
            {
                int start = _answerStart + block * blockLength, end = Math.Min(start + blockLength, _answerStart + _answerLength);
                // Steps follow block sizes (a short last block gets fewer); equal blocks split them evenly, as the references do.
                int steps = Math.Max(1, (int)Math.Round((double)totalSteps * (end - start) / _answerLength));
                for (int r = 0; r < _batch; r++)
                    plans[r] = _policy.BeginBlock(CountMasks(r, start, end), steps, (int)(seed + r * 7919 + block));

                for (int step = 0; AnyMasks(start, end); step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    double[] scored;
                    using (NewDisposeScope())
                    {
                        var logits = Logits(start, end, step, cache, keyMask, positions);      // [B, L, V]
                        _forwardCalls++;
                        using var host = _policy.Score(logits, context).cpu();                // the step's one sync
                        scored = host.data<double>().ToArray();
                    }
                    Commit(scored, plans, start, end, step, block, onStep);
                    _step++;
                }
            }
        }

        private Tensor Logits(int start, int end, int step, KvCache? cache, Tensor? keyMask, Tensor? positions)
        {
            var model = _owner.Model;
            int length = end - start;
            int from = start - _shift; // first fed position whose logits predict the block
            var canvas = tensor(_canvas, device: model.Device).view(_batch, _length);
            if (cache is null || step == 0)
            {
                if (_options.CfgScale > 0) return GuidedLogits(canvas, from, length, keyMask, positions);
                // A full forward; with a cache it also (re)fills every row of it.
                return model.Forward(canvas, new ForwardOptions
                {
                    Cache = cache, KeyMask = keyMask, PositionIds = positions, LogitsStart = from, LogitsLength = length,
                });
            }
            // Prefix cache feeds the block and everything after it; dual cache only the block.
            int feedEnd = _options.Cache == CacheMode.Prefix ? _length : end;
            return model.Forward(canvas.narrow(1, from, feedEnd - from), new ForwardOptions
            {
                Cache = cache, Offset = from, KeyMask = keyMask, PositionIds = positions?.narrow(1, from, feedEnd - from),
                LogitsStart = 0, LogitsLength = length,
            });
        }

        /// <summary>LLaDA's unsupervised CFG: the unconditional canvas has the prompt masked; both run in one batch.</summary>
        private Tensor GuidedLogits(Tensor canvas, int from, int length, Tensor? keyMask, Tensor? positions)
        {
            var promptRegion = zeros(_batch, _length, ScalarType.Bool, canvas.device);
            promptRegion.narrow(1, 0, _answerStart).fill_(true);
            if (keyMask is not null) promptRegion.logical_and_(keyMask);
            var unconditional = canvas.masked_fill(promptRegion, _mask);
            var logits = _owner.Model.Forward(cat([canvas, unconditional], 0), new ForwardOptions
            {
                KeyMask = keyMask is null ? null : cat([keyMask, keyMask], 0),
                PositionIds = positions is null ? null : cat([positions, positions], 0),
                LogitsStart = from, LogitsLength = length,
            });
            var (conditional, unconditionalLogits) = (logits.narrow(0, 0, _batch), logits.narrow(0, _batch, _batch));
            return unconditionalLogits + (_options.CfgScale + 1) * (conditional - unconditionalLogits);
        }

        private void Commit(double[] scored, BlockPlan[] plans, int start, int end, int step, int block, Action<DiffusionStep>? onStep)
        {
            int length = end - start, plane = _batch * length;
            var masked = new bool[length];
            var commit = new bool[length];
            for (int r = 0; r < _batch; r++)
            {
                if (_finished[r]) continue;
                for (int j = 0; j < length; j++) masked[j] = _canvas[r * _length + start + j] == _mask;
                Array.Clear(commit);
                var candidates = scored.AsSpan(r * length, length);
                var confidence = scored.AsSpan(plane + r * length, length);
                if (masked.Any(m => m)) plans[r].Choose(confidence, masked, step, commit);
                var committed = new List<(int, int)>();
                for (int j = 0; j < length; j++)
                {
                    if (!commit[j] || !masked[j]) continue;
                    _canvas[r * _length + start + j] = (long)candidates[j];
                    committed.Add((start + j - _answerStart, (int)candidates[j]));
                }
                CheckFinished(r);
                if (onStep is not null)
                {
                    var answer = Answer(r);
                    int stable = Array.IndexOf(answer, _mask);
                    onStep(new DiffusionStep(r, _step, block, committed, answer, stable < 0 ? answer.Length : stable, _finished[r]));
                }
            }
        }

        /// <summary>A row is done once an end token (or stop sequence) is committed with nothing masked before it:
        /// what follows can no longer change the answer, so it is not decoded.</summary>
        private void CheckFinished(int r)
        {
            var answer = Answer(r);
            int firstMask = Array.IndexOf(answer, _mask);
            int stableLength = firstMask < 0 ? answer.Length : firstMask;
            int end = FirstEnd(answer, stableLength);
            if (end >= 0)
            {
                _cut[r] = end;
                if (_options.StopAtEndToken) _finished[r] = true;
            }
            var stops = _requests[r].StopSequences;
            if (stops is { Count: > 0 } && _owner.Tokenizer is { } tokenizer && _cut[r] < 0)
            {
                string text = tokenizer.Decode(answer.Take(stableLength));
                int at = stops.Where(s => s.Length > 0).Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
                if (at >= 0)
                {
                    int keep = 0;
                    while (keep < stableLength && tokenizer.Decode(answer.Take(keep + 1)).Length <= at) keep++;
                    _cut[r] = keep;
                    _finished[r] = true;
                }
            }
            if (firstMask < 0) _finished[r] = true;
        }

        private int FirstEnd(int[] answer, int limit)
        {
            for (int i = 0; i < limit; i++)
                if (_config.EndTokenIds.Contains(answer[i])) return i;
            return -1;
        }

        private int[] Answer(int r) => _canvas.AsSpan(r * _length + _answerStart, _answerLength).ToArray().Select(t => (int)t).ToArray();

        private int CountMasks(int r, int start, int end)
        {
            int n = 0;
            for (int i = start; i < end; i++) if (_canvas[r * _length + i] == _mask) n++;
            return n;
        }

        private bool AnyMasks(int start, int end)
        {
            for (int r = 0; r < _batch; r++)
                if (!_finished[r] && CountMasks(r, start, end) > 0) return true;
            return false;
        }

        public IReadOnlyList<GenerationResult> Results(TimeSpan elapsed)
        {
            var results = new List<GenerationResult>();
            for (int r = 0; r < _batch; r++)
            {
                var answer = Answer(r);
                int firstMask = Array.IndexOf(answer, _mask);
                int cut = _cut[r] >= 0 ? _cut[r] : firstMask >= 0 ? firstMask : answer.Length;
                var tokens = answer.Take(cut).ToArray();
                int suffixLength = _requests[r].SuffixTokens?.Count ?? 0;
                var canvas = _canvas.AsSpan(r * _length + _answerStart, _answerLength + suffixLength).ToArray().Select(t => (int)t).ToArray();
                results.Add(new GenerationResult
                {
                    Tokens = tokens,
                    Canvas = canvas,
                    Text = _owner.Tokenizer?.Decode(tokens, skipSpecialTokens: true),
                    FinishReason = _cut[r] >= 0 ? DiffusionFinishReason.Stop : DiffusionFinishReason.Length,
                    PromptTokenCount = _promptLengths[r],
                    ForwardCalls = _forwardCalls,
                    Elapsed = elapsed,
                });
            }
            _owner._logger.LogDebug("Decoded {Rows} row(s) in {Calls} forward calls, {Steps} steps, {Ms} ms", _batch, _forwardCalls, _step, elapsed.TotalMilliseconds);
            return results;
        }
    }
}
