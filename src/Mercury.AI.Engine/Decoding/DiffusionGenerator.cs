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

    internal ILogger Logger => _logger;

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
        var results = new GenerationResult[requests.Count];
        RunContinuous(requests, admit: null, (row, result) => results[row] = result, onStep, cancellationToken);
        return results;
    }

    /// <summary>
    /// Continuous batching. Rows decode block-synchronously: every row works on one block per round, and a round ends
    /// when no row has a mask left in its block. At each round boundary finished rows leave and <paramref name="admit"/>
    /// is asked for newcomers (same options, the seed aside, and length as <paramref name="initial"/>[0]), which start their first block alongside
    /// the others' next one. Each row decodes exactly as it would alone. Rows are numbered in admission order.
    /// Newcomers are not admitted under <see cref="CacheMode.Prefix"/>, whose steps need every row at the same block.
    /// </summary>
    /// <param name="initial">The first rows.</param>
    /// <param name="admit">Called at each block boundary with the batch template; returns requests to add (may be empty).</param>
    /// <param name="completed">Called once per row, as soon as the row's answer is final.</param>
    /// <param name="onStep">Step snapshots, per row.</param>
    /// <param name="cancellationToken">Cancels the whole batch (throws); per-row cancellation is <see cref="GenerationRequest.CancellationToken"/>.</param>
    /// <param name="rejected">Receives newcomers the batch refuses (e.g. too long); when null such a refusal throws.</param>
    public void RunContinuous(IReadOnlyList<GenerationRequest> initial, Func<GenerationRequest, IReadOnlyList<GenerationRequest>>? admit,
        Action<int, GenerationResult> completed, Action<DiffusionStep>? onStep = null, CancellationToken cancellationToken = default,
        Action<GenerationRequest, Exception>? rejected = null)
    {
        if (initial.Count == 0) return;
        var batch = new ContinuousBatch(this, initial[0], completed, onStep);
        foreach (var request in initial) batch.Admit(request);
        using var noGrad = no_grad();
        batch.Run(admit, rejected, cancellationToken);
    }
}
