using System.Globalization;
using System.Text.Json;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat;

/// <summary>
/// Turns <see cref="ChatOptions"/> (+ <see cref="DiffusionChatOptions"/> from <c>AdditionalProperties</c>) into the
/// engine's <see cref="DiffusionOptions"/>. Invalid values fail with an <see cref="ArgumentException"/> naming the
/// option; options the engine has no counterpart for (penalties) are ignored, as providers do.
/// </summary>
internal static class ChatOptionsMapper
{
    private static readonly JsonSerializerOptions KnobsJson = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>The knobs of one request: per-request values over the client's defaults.</summary>
    public static DiffusionChatOptions ReadKnobs(ChatOptions? options, DiffusionChatOptions defaults)
    {
        var props = options?.AdditionalProperties;
        if (props is null || props.Count == 0) return defaults.Clone();
        var knobs = new DiffusionChatOptions();
        if (props.TryGetValue(DiffusionChatOptions.AdditionalPropertiesKey, out object? whole) && whole is not null)
        {
            knobs = whole switch
            {
                DiffusionChatOptions typed => typed.Clone(),
                JsonElement json => json.Deserialize<DiffusionChatOptions>(KnobsJson) ?? new DiffusionChatOptions(),
                _ => throw Invalid(DiffusionChatOptions.AdditionalPropertiesKey, whole, "a DiffusionChatOptions"),
            };
        }
        knobs.Steps = Read(props, DiffusionChatOptions.StepsKey, ToInt) ?? knobs.Steps;
        knobs.BlockLength = Read(props, DiffusionChatOptions.BlockLengthKey, ToInt) ?? knobs.BlockLength;
        knobs.Algorithm = Read(props, DiffusionChatOptions.AlgorithmKey, ToEnum<DiffusionAlgorithm>) ?? knobs.Algorithm;
        knobs.Threshold = Read(props, DiffusionChatOptions.ThresholdKey, ToDouble) ?? knobs.Threshold;
        knobs.Cache = Read(props, DiffusionChatOptions.CacheKey, ToEnum<CacheMode>) ?? knobs.Cache;
        knobs.CfgScale = Read(props, DiffusionChatOptions.CfgScaleKey, ToDouble) ?? knobs.CfgScale;
        return Merge(knobs, defaults);
    }

    /// <summary>The request's knobs over the defaults, where the sampler (algorithm and threshold) is chosen as one: a
    /// request naming a non-threshold algorithm does not inherit a default threshold, and a request giving only a
    /// threshold gets the family's threshold sampler rather than a default algorithm that takes none.</summary>
    public static DiffusionChatOptions Merge(DiffusionChatOptions request, DiffusionChatOptions defaults)
    {
        var merged = request.Over(defaults);
        if (request.Algorithm is { } algorithm && request.Threshold is null && algorithm is not (DiffusionAlgorithm.ConfidenceThreshold or DiffusionAlgorithm.DreamThreshold))
            merged.Threshold = null;
        if (request.Threshold is not null && request.Algorithm is null) merged.Algorithm = null;
        return merged;
    }

    public static bool ReadStreamSnapshots(ChatOptions? options) =>
        options?.AdditionalProperties is { } props && (Read(props, DiffusionChatOptions.StreamSnapshotsKey, ToBool) ?? false);

    /// <summary>A model folder's sampler defaults as knobs; an algorithm name the client does not know is an error.</summary>
    public static DiffusionChatOptions KnobsOf(GenerationConfig generation) => new()
    {
        Steps = generation.Steps,
        BlockLength = generation.BlockLength,
        Threshold = generation.Threshold,
        Cache = generation.Cache,
        Algorithm = generation.Algorithm is not { } name ? null : ToEnum<DiffusionAlgorithm>(name)
            ?? throw new ArgumentException($"{GenerationConfig.FileName}: unknown algorithm '{name}' ({string.Join(", ", Enum.GetNames<DiffusionAlgorithm>())})."),
    };

    public static DiffusionOptions ToDiffusionOptions(ChatOptions? options, DiffusionChatOptions knobs, ModelArchitecture architecture, double? defaultTemperature = null)
    {
        double temperature = options?.Temperature ?? defaultTemperature ?? 0;
        if (!double.IsFinite(temperature) || temperature < 0)
            throw new ArgumentException($"ChatOptions.Temperature must be a finite number ≥ 0 (was {temperature}).", nameof(options));
        if (options?.TopP is { } topP && !(topP > 0 && topP <= 1))
            throw new ArgumentException($"ChatOptions.TopP must be in (0, 1] (was {topP}).", nameof(options));
        if (options?.TopK is { } topK && topK < 1)
            throw new ArgumentException($"ChatOptions.TopK must be at least 1 (was {topK}).", nameof(options));
        if (knobs.Steps is { } steps && steps < 1)
            throw new ArgumentException($"Diffusion steps must be at least 1 (was {steps}).", nameof(options));
        if (knobs.BlockLength is { } block && block < 1)
            throw new ArgumentException($"Diffusion block length must be at least 1 (was {block}).", nameof(options));
        if (knobs.CfgScale is { } cfg && (!double.IsFinite(cfg) || cfg < 0))
            throw new ArgumentException($"Diffusion CfgScale must be a finite number ≥ 0 (was {cfg}).", nameof(options));
        var cache = knobs.Cache ?? CacheMode.None;
        if (knobs.CfgScale > 0 && cache != CacheMode.None)
            throw new ArgumentException("Diffusion CfgScale (classifier-free guidance) needs Cache = None.", nameof(options));

        return new DiffusionOptions
        {
            Policy = Policy(knobs, architecture),
            Steps = knobs.Steps,
            BlockLength = knobs.BlockLength,
            Cache = cache,
            Temperature = temperature,
            TopP = options?.TopP,
            TopK = options?.TopK,
            CfgScale = knobs.CfgScale ?? 0,
            Seed = options?.Seed,
            Overflow = knobs.Overflow ?? PromptOverflow.Error,
        };
    }

    private static UnmaskingPolicy? Policy(DiffusionChatOptions knobs, ModelArchitecture architecture)
    {
        var algorithm = knobs.Algorithm
            ?? (knobs.Threshold is null ? null : architecture == ModelArchitecture.Dream ? DiffusionAlgorithm.DreamThreshold : DiffusionAlgorithm.ConfidenceThreshold);
        if (knobs.Threshold is { } t)
        {
            if (!(t > 0 && t <= 1)) throw new ArgumentException($"Diffusion threshold must be in (0, 1] (was {t}).", "options");
            if (algorithm is not (DiffusionAlgorithm.ConfidenceThreshold or DiffusionAlgorithm.DreamThreshold))
                throw new ArgumentException($"A diffusion threshold applies to the ConfidenceThreshold and DreamThreshold algorithms, not {algorithm}.", "options");
        }
        double threshold = knobs.Threshold ?? 0.9;
        return algorithm switch
        {
            null => null,
            DiffusionAlgorithm.LowConfidence => new LowConfidenceRemasking(),
            DiffusionAlgorithm.Random => new RandomRemasking(),
            DiffusionAlgorithm.ConfidenceThreshold => new ConfidenceThresholdRemasking(threshold),
            DiffusionAlgorithm.MaskGitPlus => new DreamRemasking(DreamConfidence.MaskGitPlus),
            DiffusionAlgorithm.TopKMargin => new DreamRemasking(DreamConfidence.TopKMargin),
            DiffusionAlgorithm.Entropy => new DreamRemasking(DreamConfidence.Entropy),
            DiffusionAlgorithm.DreamThreshold => new DreamConfidenceThreshold(threshold),
            _ => throw new ArgumentException($"Unknown diffusion algorithm {algorithm}.", "options"),
        };
    }

    private static T? Read<T>(AdditionalPropertiesDictionary props, string key, Func<object, T?> convert) where T : struct
    {
        if (!props.TryGetValue(key, out object? value) || value is null) return null;
        try
        {
            return convert(value) ?? throw Invalid(key, value, typeof(T).Name);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or InvalidOperationException)
        {
            throw Invalid(key, value, typeof(T).Name, e);
        }
    }

    private static ArgumentException Invalid(string key, object value, string expected, Exception? inner = null)
    {
        string allowed = expected switch
        {
            nameof(DiffusionAlgorithm) => $" ({string.Join(", ", Enum.GetNames<DiffusionAlgorithm>())})",
            nameof(CacheMode) => $" ({string.Join(", ", Enum.GetNames<CacheMode>())})",
            _ => "",
        };
        return new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] = '{value}' is not a valid {expected}{allowed}.", "options", inner);
    }

    private static int? ToInt(object value) => value switch
    {
        int i => i,
        long l => checked((int)l),
        double d when d == Math.Floor(d) => checked((int)d),
        string s => int.Parse(s, CultureInfo.InvariantCulture),
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetInt32(),
        JsonElement { ValueKind: JsonValueKind.String } e => int.Parse(e.GetString()!, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static double? ToDouble(object value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        decimal m => (double)m,
        string s => double.Parse(s, CultureInfo.InvariantCulture),
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } e => double.Parse(e.GetString()!, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static bool? ToBool(object value) => value switch
    {
        bool b => b,
        string s => bool.Parse(s),
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => null,
    };

    private static T? ToEnum<T>(object value) where T : struct, Enum
    {
        string? text = value switch
        {
            T typed => typed.ToString(),
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => null,
        };
        // Accept the Python spellings too: "confidence_threshold", "maskgit_plus", "topk_margin".
        return text is not null && Enum.TryParse<T>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed : null;
    }
}
