using Microsoft.Extensions.AI;
using Mercury.AI.Engine.Decoding;

namespace Mercury.AI.Chat;

/// <summary>Which masked-diffusion sampler commits tokens each step (maps to an engine <see cref="UnmaskingPolicy"/>).</summary>
public enum DiffusionAlgorithm
{
    /// <summary>LLaDA: the scheduled number of most confident masks per step (<see cref="LowConfidenceRemasking"/>).</summary>
    LowConfidence,

    /// <summary>LLaDA: the scheduled number of masks, chosen at random (<see cref="RandomRemasking"/>).</summary>
    Random,

    /// <summary>Fast-dLLM: every mask whose probability reaches <see cref="DiffusionChatOptions.Threshold"/> (<see cref="ConfidenceThresholdRemasking"/>).</summary>
    ConfidenceThreshold,

    /// <summary>Dream's <c>maskgit_plus</c> (<see cref="DreamRemasking"/>).</summary>
    MaskGitPlus,

    /// <summary>Dream's <c>topk_margin</c>.</summary>
    TopKMargin,

    /// <summary>Dream's <c>entropy</c>.</summary>
    Entropy,

    /// <summary>Fast-dLLM's Dream threshold sampler (<see cref="DreamConfidenceThreshold"/>).</summary>
    DreamThreshold,
}

/// <summary>
/// Diffusion knobs that <see cref="Microsoft.Extensions.AI.ChatOptions"/> has no property for. Null means "the
/// client's default" (<see cref="DiffusionChatClientOptions.Diffusion"/>), then the engine's. Pass per request
/// through <c>ChatOptions.AdditionalProperties</c>: the whole object under <see cref="AdditionalPropertiesKey"/>,
/// or single values under the <c>mercury.*</c> keys below (numbers, strings or JSON values, as from configuration).
/// </summary>
public sealed class DiffusionChatOptions
{
    /// <summary>Key of a whole <see cref="DiffusionChatOptions"/> in <c>ChatOptions.AdditionalProperties</c>.</summary>
    public const string AdditionalPropertiesKey = "mercury.diffusion";

    public const string StepsKey = "mercury.steps";
    public const string BlockLengthKey = "mercury.block_length";
    public const string AlgorithmKey = "mercury.algorithm";
    public const string ThresholdKey = "mercury.threshold";
    public const string CacheKey = "mercury.cache";
    public const string CfgScaleKey = "mercury.cfg_scale";

    /// <summary>Set to <c>true</c> to receive a <see cref="DiffusionSnapshot"/> per denoising step while streaming,
    /// in <c>ChatResponseUpdate.AdditionalProperties[<see cref="SnapshotKey"/>]</c> of an update with no contents.</summary>
    public const string StreamSnapshotsKey = "mercury.stream_snapshots";

    /// <summary>Where streamed updates carry their <see cref="DiffusionSnapshot"/>.</summary>
    public const string SnapshotKey = "mercury.snapshot";

    /// <summary>Total denoising steps over the whole answer. Fewer steps = faster, rougher. Default: one per token.</summary>
    public int? Steps { get; set; }

    /// <summary>Semi-autoregressive block length. Default: 32 for LLaDA, the whole answer for Dream.</summary>
    public int? BlockLength { get; set; }

    /// <summary>The sampler. Default: low-confidence remasking for LLaDA, maskgit_plus for Dream; with only a
    /// <see cref="Threshold"/> set, the family's threshold sampler.</summary>
    public DiffusionAlgorithm? Algorithm { get; set; }

    /// <summary>Confidence threshold in (0, 1] of the threshold samplers.</summary>
    public double? Threshold { get; set; }

    /// <summary>Fast-dLLM key/value cache.</summary>
    public CacheMode? Cache { get; set; }

    /// <summary>LLaDA classifier-free guidance scale (≥ 0; needs <see cref="CacheMode.None"/>).</summary>
    public double? CfgScale { get; set; }

    /// <summary>What to do with a prompt longer than the model's context.</summary>
    public PromptOverflow? Overflow { get; set; }

    public DiffusionChatOptions Clone() => (DiffusionChatOptions)MemberwiseClone();

    /// <summary>The knobs a request carries in <c>ChatOptions.AdditionalProperties</c> (unset where absent), validated as
    /// the client validates them; for callers that pass them elsewhere, e.g. to <see cref="DiffusionChatClient.InfillAsync"/>.</summary>
    public static DiffusionChatOptions From(ChatOptions? options) => ChatOptionsMapper.ReadKnobs(options, new DiffusionChatOptions());

    /// <summary>This object's values where set, else <paramref name="defaults"/>' values.</summary>
    public DiffusionChatOptions Over(DiffusionChatOptions? defaults) => defaults is null ? Clone() : new()
    {
        Steps = Steps ?? defaults.Steps,
        BlockLength = BlockLength ?? defaults.BlockLength,
        Algorithm = Algorithm ?? defaults.Algorithm,
        Threshold = Threshold ?? defaults.Threshold,
        Cache = Cache ?? defaults.Cache,
        CfgScale = CfgScale ?? defaults.CfgScale,
        Overflow = Overflow ?? defaults.Overflow,
    };
}

/// <summary>One denoising step of a streamed answer, for drawing the process.</summary>
/// <param name="Step">Step index across the decode.</param>
/// <param name="Block">Block index.</param>
/// <param name="Text">The answer so far with every still-masked token drawn as <see cref="MaskGlyph"/>.</param>
/// <param name="StableLength">Answer tokens that can no longer change.</param>
/// <param name="MaskedCount">Answer tokens still masked.</param>
public sealed record DiffusionSnapshot(int Step, int Block, string Text, int StableLength, int MaskedCount)
{
    public const string MaskGlyph = "░";
}
