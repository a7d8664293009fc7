namespace Mercury.AI.Engine.Decoding;

/// <summary>Which key/value cache the step loop keeps (Fast-dLLM, https://arxiv.org/abs/2505.22618).</summary>
public enum CacheMode
{
    /// <summary>Every step runs the whole canvas (the LLaDA and Dream reference samplers).</summary>
    None,

    /// <summary>Per block: one full forward fills the cache; later steps feed the block and everything after it.</summary>
    Prefix,

    /// <summary>Per block: one full forward fills the cache; later steps feed only the block, prefix and suffix cached.</summary>
    Dual,
}

/// <summary>What to do with a prompt that leaves no room for the canvas within the model's max sequence length.</summary>
public enum PromptOverflow
{
    /// <summary>Throw <see cref="ArgumentException"/> naming the lengths.</summary>
    Error,

    /// <summary>Drop the oldest prompt tokens (the start of the conversation) until the canvas fits.</summary>
    TruncateStart,
}

/// <summary>
/// Sampler settings. Null means "the policy's default"; the defaults reproduce the reference samplers.
/// </summary>
public sealed record DiffusionOptions
{
    /// <summary>How candidates are scored and which are committed each step. Default: LLaDA low-confidence remasking
    /// for LLaDA models, Dream's maskgit_plus for Dream models.</summary>
    public UnmaskingPolicy? Policy { get; init; }

    /// <summary>Total denoising steps over the whole answer (split evenly over blocks). Default: one per token.</summary>
    public int? Steps { get; init; }

    /// <summary>Semi-autoregressive block length. Default: 32 for LLaDA, the whole answer for Dream.</summary>
    public int? BlockLength { get; init; }

    public CacheMode Cache { get; init; } = CacheMode.None;

    /// <summary>0 = greedy. LLaDA policies use Gumbel-max in float64; Dream policies sample the softmax.</summary>
    public double Temperature { get; init; }

    /// <summary>Dream policies: nucleus filter before sampling.</summary>
    public double? TopP { get; init; }

    /// <summary>Dream policies: top-k filter before sampling.</summary>
    public int? TopK { get; init; }

    /// <summary>LLaDA unsupervised classifier-free guidance (needs <see cref="CacheMode.None"/>): logits = u + (s + 1)(c − u).</summary>
    public double CfgScale { get; init; }

    /// <summary>Never propose EOS (its logit is set to −inf): forces the model to fill the whole length.</summary>
    public bool LogitsEosInf { get; init; }

    /// <summary>Candidates that are EOS/end-of-turn get confidence −inf, so they are committed last.</summary>
    public bool ConfidenceEosEotInf { get; init; }

    /// <summary>Stop once the committed text reaches an end token with nothing masked before it. Default on.</summary>
    public bool StopAtEndToken { get; init; } = true;

    /// <summary>Seed for every random draw of the request (Gumbel noise, sampling, random remasking).</summary>
    public long? Seed { get; init; }

    public PromptOverflow Overflow { get; init; } = PromptOverflow.Error;
}
