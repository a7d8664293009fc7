using System.Globalization;
using System.Text.Json;
using Mercury.AI.Chat;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server.OpenAI;

/// <summary>
/// The sampler knobs of a body (chat or FIM): <c>steps</c>, <c>block_length</c>, <c>algorithm</c>, <c>threshold</c>,
/// <c>cache</c>. They are checked here, so a bad one is a 400 that names the request field (the provider would name
/// its own key, <c>mercury.steps</c>), then handed to the provider as its AdditionalProperties.
/// </summary>
internal static class SamplerKnobs
{
    private static readonly (string Field, string Key)[] s_knobs =
    [
        ("steps", DiffusionChatOptions.StepsKey), ("block_length", DiffusionChatOptions.BlockLengthKey), ("algorithm", DiffusionChatOptions.AlgorithmKey),
        ("threshold", DiffusionChatOptions.ThresholdKey), ("cache", DiffusionChatOptions.CacheKey),
    ];

    public static void Read(JsonElement body, ChatOptions options)
    {
        options.AdditionalProperties ??= [];
        foreach (var (field, key) in s_knobs)
        {
            if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) continue;
            options.AdditionalProperties[key] = field switch
            {
                "steps" or "block_length" => PositiveInt(value, field),
                "threshold" => Fraction(value, field),
                "algorithm" => EnumName<DiffusionAlgorithm>(value, field),
                _ => EnumName<CacheMode>(value, field),
            };
        }
        if (options.AdditionalProperties.TryGetValue(DiffusionChatOptions.ThresholdKey, out _)
            && options.AdditionalProperties.TryGetValue(DiffusionChatOptions.AlgorithmKey, out object? algorithm)
            && algorithm is not (nameof(DiffusionAlgorithm.ConfidenceThreshold) or nameof(DiffusionAlgorithm.DreamThreshold)))
            throw OpenAIError.Invalid($"'threshold' applies to the ConfidenceThreshold and DreamThreshold algorithms, not {algorithm}.", "threshold");
    }

    private static int PositiveInt(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n >= 1
            ? n
            : throw OpenAIError.Invalid($"'{field}' must be an integer of at least 1 (was {value.GetRawText()}).", field);

    private static double Fraction(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.GetDouble() is var d && d > 0 && d <= 1
            ? d
            : throw OpenAIError.Invalid($"'{field}' must be a number in (0, 1] (was {value.GetRawText()}).", field);

    private static string EnumName<T>(JsonElement value, string field) where T : struct, Enum
    {
        // The provider's spellings: the enum name in any case, or Python's ("confidence_threshold", "maskgit_plus").
        if (value.ValueKind == JsonValueKind.String && value.GetString()!.Replace("_", "", StringComparison.Ordinal) is var wanted
            && Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase)) is { } name)
            return name;
        throw OpenAIError.Invalid(string.Create(CultureInfo.InvariantCulture,
            $"'{field}' must be one of {string.Join(", ", Enum.GetNames<T>())} (was {value.GetRawText()})."), field);
    }
}
