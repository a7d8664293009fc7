using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mercury.AI.Chat.Decoding;
using Mercury.AI.Engine.Decoding;

namespace Mercury.AI.Chat;

/// <summary>Settings of one fill-in-the-middle request.</summary>
public sealed class InfillOptions
{
    /// <summary>Tokens of the middle: the canvas between prefix and suffix. The middle ends early at an end token.</summary>
    public int MaxMiddleTokens { get; set; } = 32;

    /// <summary>0 (default) = greedy.</summary>
    public double? Temperature { get; set; }

    public long? Seed { get; set; }

    /// <summary>Strings that end the middle.</summary>
    public IList<string>? StopSequences { get; set; }

    /// <summary>Diffusion knobs (over the client's defaults).</summary>
    public DiffusionChatOptions? Diffusion { get; set; }
}

/// <summary>The middle between a prefix and a suffix.</summary>
/// <param name="Middle">The text to insert.</param>
/// <param name="Tokens">Its tokens.</param>
/// <param name="EndedEarly">The model ended the middle before <see cref="InfillOptions.MaxMiddleTokens"/>.</param>
/// <param name="ForwardCalls">Model calls of the batch that decoded it.</param>
public sealed record InfillResult(string Middle, IReadOnlyList<int> Tokens, bool EndedEarly, int ForwardCalls);

public sealed partial class DiffusionChatClient
{
    /// <summary>
    /// Fill-in-the-middle, e.g. editor completion at the cursor: the canvas is <c>prefix + masks + suffix</c>, and
    /// the model sees the code after the cursor while it writes (no chat template; raw text). The same decode loop
    /// and batching as chat serve it.
    /// </summary>
    public Task<InfillResult> InfillAsync(string prefix, string suffix, InfillOptions? options = null, CancellationToken cancellationToken = default) =>
        InfillCoreAsync(prefix, suffix, options, null, cancellationToken);

    /// <summary>Streams the middle as its left part becomes stable (see <see cref="GetStreamingResponseAsync"/>).</summary>
    public async IAsyncEnumerable<string> InfillStreamingAsync(string prefix, string suffix, InfillOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = InfillRequest(prefix, suffix, options);
        var text = new StreamingText(_backend.Tokenizer, _endTokenIds, request.StopSequences ?? []);
        var deltas = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decode = _loop.EnqueueAsync(new DecodeJob(request, step =>
        {
            if (text.OnStep(step) is { Length: > 0 } delta) deltas.Writer.TryWrite(delta);
        }, stop.Token));
        _ = decode.ContinueWith(static (_, writer) => ((ChannelWriter<string>)writer!).TryComplete(), deltas.Writer,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        GenerationResult result;
        try
        {
            await foreach (string delta in deltas.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return delta;
            result = await decode.ConfigureAwait(false);
        }
        finally
        {
            if (!decode.IsCompleted) stop.Cancel(); // the caller stopped early
        }
        string full = result.Text ?? "";
        if (full.StartsWith(text.Emitted, StringComparison.Ordinal) && full.Length > text.Emitted.Length) yield return full[text.Emitted.Length..];
    }

    private async Task<InfillResult> InfillCoreAsync(string prefix, string suffix, InfillOptions? options, Action<DiffusionStep>? onStep, CancellationToken cancellationToken)
    {
        var request = InfillRequest(prefix, suffix, options);
        var result = await _loop.EnqueueAsync(new DecodeJob(request, onStep, cancellationToken)).ConfigureAwait(false);
        return new InfillResult(result.Text ?? "", result.Tokens, result.FinishReason == DiffusionFinishReason.Stop, result.ForwardCalls);
    }

    private GenerationRequest InfillRequest(string prefix, string suffix, InfillOptions? options)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        options ??= new InfillOptions();
        if (options.MaxMiddleTokens < 1) throw new ArgumentException($"MaxMiddleTokens must be at least 1 (was {options.MaxMiddleTokens}).", nameof(options));
        var chatOptions = new Microsoft.Extensions.AI.ChatOptions { Temperature = (float?)options.Temperature, Seed = options.Seed };
        var knobs = ChatOptionsMapper.Merge(options.Diffusion ?? new DiffusionChatOptions(), _knobDefaults);
        var prefixTokens = _backend.Tokenizer.Encode(prefix);
        var suffixTokens = _backend.Tokenizer.Encode(suffix);
        CheckVocabulary(prefixTokens);
        CheckVocabulary(suffixTokens);
        return new GenerationRequest
        {
            PromptTokens = prefixTokens,
            SuffixTokens = suffixTokens,
            MaxNewTokens = options.MaxMiddleTokens,
            StopSequences = options.StopSequences?.Where(s => s.Length > 0).ToList() is { Count: > 0 } stops ? stops : null,
            Options = ChatOptionsMapper.ToDiffusionOptions(chatOptions, knobs, _backend.Config.Architecture),
        };
    }
}
