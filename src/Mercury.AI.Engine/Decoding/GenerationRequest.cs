namespace Mercury.AI.Engine.Decoding;

/// <summary>One prompt to decode. The canvas is <c>prompt + masks + suffix</c>; with a suffix this is infilling.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>Masks to fill: the answer length, or the middle's length when infilling.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>Fixed tokens after the masks (fill-in-the-middle). They are attended to and never changed.</summary>
    public IReadOnlyList<int>? SuffixTokens { get; init; }

    /// <summary>Strings that end the answer; the text is cut before the first one. Needs a tokenizer on the generator.</summary>
    public IReadOnlyList<string>? StopSequences { get; init; }

    public DiffusionOptions Options { get; init; } = new();

    /// <summary>This request's seed; overrides <see cref="DiffusionOptions.Seed"/>. Requests with different seeds can
    /// share a batch: every row draws from its own generator.</summary>
    public long? Seed { get; init; }

    /// <summary>Answer positions fixed in advance (position → token), e.g. a JSON skeleton: never masked, never changed,
    /// attended to like the prompt.</summary>
    public IReadOnlyDictionary<int, int>? FixedAnswerTokens { get; init; }

    /// <summary>Cancels this request alone: its row stops at the next step with <see cref="DiffusionFinishReason.Cancelled"/>
    /// while the rest of its batch goes on.</summary>
    public CancellationToken CancellationToken { get; init; }
}

public enum DiffusionFinishReason
{
    /// <summary>An end token or stop sequence ended the answer.</summary>
    Stop,

    /// <summary>The canvas was used up.</summary>
    Length,

    Cancelled,
}

/// <summary>The outcome of one request.</summary>
public sealed record GenerationResult
{
    /// <summary>The answer's tokens, cut before the first end token / stop sequence; mask tokens never appear.</summary>
    public required IReadOnlyList<int> Tokens { get; init; }

    /// <summary>Every canvas position after the prompt as it ended (middle + suffix when infilling), for inspection.</summary>
    public required IReadOnlyList<int> Canvas { get; init; }

    /// <summary>Decoded answer text, when the generator has a tokenizer.</summary>
    public string? Text { get; init; }

    public required DiffusionFinishReason FinishReason { get; init; }

    public required int PromptTokenCount { get; init; }

    /// <summary>Model calls made while this request was decoding (the steps its row took part in).</summary>
    public required int ForwardCalls { get; init; }

    public required TimeSpan Elapsed { get; init; }
}

/// <summary>A snapshot after one denoising step, for streaming and for drawing the process.</summary>
/// <param name="Row">Which request of the batch.</param>
/// <param name="Step">Step index across the whole decode (0-based).</param>
/// <param name="Block">Block index.</param>
/// <param name="Committed">Positions (relative to the answer start) and tokens committed by this step.</param>
/// <param name="Canvas">The answer region after this step; masked positions hold the mask id.</param>
/// <param name="StableLength">Answer tokens that can no longer change: everything before the first mask.</param>
/// <param name="Finished">Whether this row has stopped.</param>
public sealed record DiffusionStep(int Row, int Step, int Block, IReadOnlyList<(int Position, int Token)> Committed,
    IReadOnlyList<int> Canvas, int StableLength, bool Finished);
