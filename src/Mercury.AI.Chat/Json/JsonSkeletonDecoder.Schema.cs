using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mercury.AI.Chat.Json;

/// <summary>Reading the schema and writing values: the parts of the skeleton decoder that call no model.</summary>
internal sealed partial class JsonSkeletonDecoder
{
    private const int MaxRefHops = 8;

    [GeneratedRegex(@"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")]
    private static partial Regex NumberPattern();

    /// <summary>Follows local <c>$ref</c>s and picks the first non-null <c>anyOf</c>/<c>oneOf</c> alternative.</summary>
    private JsonElement Resolve(JsonElement schema)
    {
        for (int hop = 0; hop < MaxRefHops && schema.ValueKind == JsonValueKind.Object; hop++)
        {
            if (schema.TryGetProperty("$ref", out var reference) && reference.ValueKind == JsonValueKind.String)
            {
                if (Pointer(reference.GetString()!) is not { } target) break;
                schema = target;
                continue;
            }
            if (!schema.TryGetProperty("type", out _) && !schema.TryGetProperty("properties", out _)
                && (schema.TryGetProperty("anyOf", out var choices) || schema.TryGetProperty("oneOf", out choices))
                && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var alternatives = choices.EnumerateArray().ToList();
                schema = alternatives.FirstOrDefault(a => TypeOf(Resolve(a)) != "null") is { ValueKind: not JsonValueKind.Undefined } a ? a : alternatives[0];
                continue;
            }
            break;
        }
        return schema;
    }

    /// <summary>A JSON pointer into the root schema (<c>#/$defs/Person</c>); null when it does not resolve.</summary>
    private JsonElement? Pointer(string reference)
    {
        if (!reference.StartsWith('#')) return null;
        var node = _root;
        foreach (string part in reference[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = part.Replace("~1", "/").Replace("~0", "~");
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node)) return null;
        }
        return node;
    }

    /// <summary>The schema's type: a string, the first non-null one of a list, else implied by properties or items.</summary>
    private static string? TypeOf(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object) return null;
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String) return type.GetString();
            if (type.ValueKind == JsonValueKind.Array)
            {
                var names = type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList();
                return names.FirstOrDefault(t => t != "null") ?? names.FirstOrDefault();
            }
        }
        return schema.TryGetProperty("properties", out _) ? "object" : schema.TryGetProperty("items", out _) ? "array" : null;
    }

    private static int? Count(JsonElement schema, string keyword) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt32(out int n) && n >= 0 ? n : null;

    private static double? Bound(JsonElement schema, string keyword) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble() : null;

    /// <summary>Clamps into <c>minimum</c>/<c>maximum</c> (and the exclusive bounds, stepping 1 inside them).</summary>
    private static double Clamp(JsonElement schema, double value, bool integer)
    {
        if (Bound(schema, "exclusiveMinimum") is { } exMin && value <= exMin) value = integer ? Math.Floor(exMin) + 1 : exMin + 1;
        if (Bound(schema, "exclusiveMaximum") is { } exMax && value >= exMax) value = integer ? Math.Ceiling(exMax) - 1 : exMax - 1;
        if (Bound(schema, "minimum") is { } min && value < min) value = integer ? Math.Ceiling(min) : min;
        if (Bound(schema, "maximum") is { } max && value > max) value = integer ? Math.Floor(max) : max;
        return value;
    }

    private static string FormatNumber(double value) =>
        value == Math.Truncate(value) && Math.Abs(value) < 1e15
            ? ((long)value).ToString(CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A JSON string literal, quotes included.</summary>
    private static string Encode(string text) => JsonSerializer.Serialize(text, Relaxed);

    /// <summary>What the model wrote between the quotes, its JSON escapes decoded (raw text when they do not parse).</summary>
    private static string StringContent(string raw)
    {
        int trailing = raw.Length - raw.TrimEnd('\\').Length;
        if (trailing % 2 == 1) raw = raw[..^1]; // the stop cut an escaped quote: drop its backslash
        try
        {
            return JsonSerializer.Deserialize<string>($"\"{raw}\"") ?? raw;
        }
        catch (JsonException)
        {
            return raw;
        }
    }

    private static bool StartsValue(char c) => c is '"' or '{' or '[' or '-' or 't' or 'f' or 'n' or (>= '0' and <= '9');

    /// <summary>Length of the common start of two strings.</summary>
    internal static int CommonPrefix(string a, string b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        return n;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
