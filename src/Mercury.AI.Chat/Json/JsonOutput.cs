using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Json;

/// <summary>
/// Checks JSON-mode answers: the text (inside a ```json fence if the model wrote one) must parse, and conform to
/// the schema's core keywords (<c>type</c>, <c>properties</c>, <c>required</c>, <c>additionalProperties: false</c>,
/// <c>items</c>, <c>enum</c>, <c>const</c>, <c>anyOf</c>/<c>oneOf</c>). Other keywords are not checked.
/// </summary>
internal static class JsonOutput
{
    /// <summary>The character to pre-fill after the assistant header: the schema's root is an object (or unknown, as
    /// JSON mode's usual shape), so the canvas starts inside one — a diffusion model then only fills the rest.</summary>
    public static string? Prefill(ChatResponseFormatJson format)
    {
        if (format.Schema is not { } schema) return "{";
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
            return type.GetString() switch { "object" => "{", "array" => "[", _ => null };
        return null;
    }

    /// <summary>The JSON text of <paramref name="answer"/>, or null with the reason in <paramref name="error"/>.</summary>
    public static string? Validate(string answer, JsonElement? schema, out string? error)
    {
        string text = StripFence(answer.Trim());
        try
        {
            using var document = JsonDocument.Parse(text);
            error = schema is { } s ? Check(document.RootElement, s, "$") : null;
            return error is null ? text : null;
        }
        catch (JsonException e)
        {
            error = $"not valid JSON: {e.Message}";
            return null;
        }
    }

    private static string StripFence(string text)
    {
        if (!text.StartsWith("```", StringComparison.Ordinal)) return text;
        int firstLine = text.IndexOf('\n');
        int close = text.LastIndexOf("```", StringComparison.Ordinal);
        return firstLine > 0 && close > firstLine ? text[(firstLine + 1)..close].Trim() : text;
    }

    private static string? Check(JsonElement value, JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.False) return $"{path}: no value is allowed here";
        if (schema.ValueKind != JsonValueKind.Object) return null;

        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToArray() : [type.GetString()];
            if (!allowed.Any(t => HasType(value, t))) return $"{path}: expected {string.Join(" or ", allowed)}, got {value.ValueKind}";
        }
        if (schema.TryGetProperty("enum", out var options) && !options.EnumerateArray().Any(o => JsonElement.DeepEquals(o, value)))
            return $"{path}: {value.GetRawText()} is not one of {options.GetRawText()}";
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
            return $"{path}: expected {constant.GetRawText()}";
        foreach (string keyword in new[] { "anyOf", "oneOf" })
            if (schema.TryGetProperty(keyword, out var choices) && !choices.EnumerateArray().Any(c => Check(value, c, path) is null))
                return $"{path}: matches none of the {keyword} schemas";

        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray())
                    if (!value.TryGetProperty(name.GetString()!, out _)) return $"{path}: missing required property '{name.GetString()}'";
            schema.TryGetProperty("properties", out var properties);
            foreach (var property in value.EnumerateObject())
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                {
                    if (Check(property.Value, propertySchema, $"{path}.{property.Name}") is { } e) return e;
                }
                else if (schema.TryGetProperty("additionalProperties", out var additional))
                {
                    if (Check(property.Value, additional, $"{path}.{property.Name}") is { } e) return e;
                }
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var item in value.EnumerateArray())
                if (Check(item, items, $"{path}[{i++}]") is { } e) return e;
        }
        return null;
    }

    private static bool HasType(JsonElement value, string? type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };
}
