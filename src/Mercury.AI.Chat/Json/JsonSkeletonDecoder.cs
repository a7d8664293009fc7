using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat.Json;

/// <summary>What one segment decode wrote: its text, or <see cref="Exhausted"/> when the answer budget (the request's
/// <c>MaxOutputTokens</c>, or the context) has no room left.</summary>
internal readonly record struct Segment(string Text, bool Exhausted)
{
    public static Segment None { get; } = new("", true);
}

/// <summary>Decodes a short segment after <c>answerSoFar</c> (the text after the assistant header): at most
/// <c>maxTokens</c> tokens, cut at the first of <c>stops</c>.</summary>
internal delegate Task<Segment> SegmentDecoder(string answerSoFar, int maxTokens, IReadOnlyList<string> stops, CancellationToken cancellationToken);

/// <summary>
/// Schema-guided JSON: the structure comes from the schema as fixed text (braces, keys, quotes, separators), and the
/// model fills only the values, one short segment at a time, each decoded with the skeleton so far as the end of its
/// prompt and stopped at the value's end; each value is then coerced to its schema type. The result always parses and
/// carries every required key, whatever the model writes.
/// </summary>
/// <remarks>
/// Supported: <c>type</c> (a list: its first non-null type), <c>properties</c> + <c>required</c> (required properties
/// are written in declaration order; a schema without <c>required</c> gets all its properties; optional ones of a
/// schema with <c>required</c> are left out), <c>additionalProperties</c> (no schema properties: the model writes keys
/// and values, unless it is <c>false</c>), <c>items</c>, <c>minItems</c>/<c>maxItems</c>, <c>enum</c>, <c>const</c>,
/// <c>minimum</c>/<c>maximum</c> (clamped), <c>maxLength</c> (truncated), <c>anyOf</c>/<c>oneOf</c> (the first
/// alternative that is not <c>null</c>) and local <c>$ref</c>s (<c>#/$defs/…</c>, <c>#/definitions/…</c>). Not enforced:
/// <c>pattern</c>, <c>format</c>, <c>minLength</c>, <c>multipleOf</c>, <c>uniqueItems</c>, <c>allOf</c>, <c>not</c>,
/// conditionals; a value without a usable type is written as whatever JSON value the model starts (string, number,
/// boolean, null, object or array). Coercions (a non-number where a number belongs, an enum value the model did not
/// write exactly) are logged as warnings.
/// </remarks>
internal sealed partial class JsonSkeletonDecoder(SegmentDecoder decode, ILogger logger)
{
    private const int MaxDepth = 6;
    private const int MaxItems = 16;
    private const int StringTokens = 48;
    private const int NumberTokens = 12;
    private const int PeekTokens = 3;
    private static readonly string[] ValueEnd = [",", "}", "]", "\n"];
    private static readonly string[] Quote = ["\""];
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly StringBuilder _json = new();
    private string _lead = "";
    private JsonElement _root;
    private CancellationToken _ct;

    /// <summary>Whether a segment found no room: later values got their schema defaults.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>The JSON value for <paramref name="schema"/> (null: any JSON object, as JSON mode without a schema asks),
    /// written after <paramref name="lead"/> (fixed answer text before it, e.g. a tool call's opening).</summary>
    public async Task<string> DecodeAsync(string lead, JsonElement? schema, CancellationToken cancellationToken)
    {
        (_lead, _ct) = (lead, cancellationToken);
        _json.Clear();
        if (schema is { } s)
        {
            _root = s;
            await ValueAsync(s, 0).ConfigureAwait(false);
        }
        else
        {
            await FreeObjectAsync(0).ConfigureAwait(false);
        }
        return _json.ToString();
    }

    private async Task<Segment> SegmentAsync(int maxTokens, IReadOnlyList<string> stops)
    {
        if (Exhausted) return Segment.None;
        var segment = await decode(_lead + _json, maxTokens, stops, _ct).ConfigureAwait(false);
        if (segment.Exhausted) Exhausted = true;
        return segment;
    }

    private async Task ValueAsync(JsonElement schema, int depth)
    {
        schema = Resolve(schema);
        if (schema.ValueKind != JsonValueKind.Object) { await AnyAsync(depth).ConfigureAwait(false); return; }
        if (schema.TryGetProperty("const", out var constant)) { _json.Append(constant.GetRawText()); return; }
        if (schema.TryGetProperty("enum", out var options) && options.ValueKind == JsonValueKind.Array && options.GetArrayLength() > 0)
        {
            await EnumAsync(options).ConfigureAwait(false);
            return;
        }
        switch (TypeOf(schema))
        {
            case "object": await ObjectAsync(schema, depth).ConfigureAwait(false); break;
            case "array": await ArrayAsync(schema, depth).ConfigureAwait(false); break;
            case "string": await StringAsync(schema).ConfigureAwait(false); break;
            case "integer": await NumberAsync(schema, integer: true).ConfigureAwait(false); break;
            case "number": await NumberAsync(schema, integer: false).ConfigureAwait(false); break;
            case "boolean": await BooleanAsync().ConfigureAwait(false); break;
            case "null": _json.Append("null"); break;
            default: await AnyAsync(depth).ConfigureAwait(false); break;
        }
    }

    private async Task ObjectAsync(JsonElement schema, int depth)
    {
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var names = Members(schema, properties);
        if (names.Count == 0)
        {
            if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False) _json.Append("{}");
            else await FreeObjectAsync(depth).ConfigureAwait(false);
            return;
        }
        _json.Append('{');
        for (int i = 0; i < names.Count; i++)
        {
            if (i > 0) _json.Append(", ");
            _json.Append(Encode(names[i])).Append(": ");
            var member = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(names[i], out var m) ? m : default;
            if (depth >= MaxDepth) WriteDefault(member);
            else await ValueAsync(member, depth + 1).ConfigureAwait(false);
        }
        _json.Append('}');
    }

    /// <summary>The keys to write: the required ones (in declaration order), or every property when none is required.</summary>
    private static List<string> Members(JsonElement schema, JsonElement properties)
    {
        var declared = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(x => x.Name).ToList() : [];
        if (!schema.TryGetProperty("required", out var required) || required.ValueKind != JsonValueKind.Array) return declared;
        var names = required.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal);
        return [.. declared.Where(names.Contains), .. names.Where(n => !declared.Contains(n))];
    }

    /// <summary>An object whose keys the model chooses: it writes each key and its value, and ends when it closes the object.</summary>
    private async Task FreeObjectAsync(int depth)
    {
        _json.Append('{');
        for (int count = 0; count < MaxItems && depth < MaxDepth; count++)
        {
            var peek = await SegmentAsync(PeekTokens, []).ConfigureAwait(false);
            string next = peek.Text.TrimStart();
            if (count == 0 ? !next.StartsWith('"') : !next.StartsWith(',')) break;
            _json.Append(count == 0 ? "\"" : ", \"");
            var key = await SegmentAsync(StringTokens, Quote).ConfigureAwait(false);
            _json.Append(Encode(StringContent(key.Text))[1..]).Append(": ");
            await AnyAsync(depth + 1).ConfigureAwait(false);
        }
        _json.Append('}');
    }

    private async Task ArrayAsync(JsonElement schema, int depth)
    {
        var items = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("items", out var i) ? i : default;
        int min = Count(schema, "minItems") ?? 0;
        int max = Math.Max(min, Math.Min(Count(schema, "maxItems") ?? MaxItems, MaxItems));
        _json.Append('[');
        for (int count = 0; count < max; count++)
        {
            if (count >= min)
            {
                var peek = await SegmentAsync(PeekTokens, []).ConfigureAwait(false);
                string next = peek.Text.TrimStart();
                bool more = count == 0 ? next.Length > 0 && next[0] != ']' && StartsValue(next[0]) : next.StartsWith(',');
                if (!more) break;
            }
            if (count > 0) _json.Append(", ");
            if (depth >= MaxDepth) WriteDefault(items);
            else await ValueAsync(items, depth + 1).ConfigureAwait(false);
        }
        _json.Append(']');
    }

    private async Task StringAsync(JsonElement schema)
    {
        _json.Append('"');
        var segment = await SegmentAsync(StringTokens, Quote).ConfigureAwait(false);
        string text = StringContent(segment.Text);
        if (Count(schema, "maxLength") is { } max && text.Length > max)
            text = text[..(max > 0 && char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)]; // never half a surrogate pair
        _json.Append(Encode(text)[1..]);
    }

    private async Task NumberAsync(JsonElement schema, bool integer)
    {
        var segment = await SegmentAsync(NumberTokens, ValueEnd).ConfigureAwait(false);
        var match = NumberPattern().Match(segment.Text);
        double value;
        if (match.Success && double.TryParse(match.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && double.IsFinite(parsed))
        {
            value = parsed;
        }
        else
        {
            value = 0;
            if (!segment.Exhausted) logger.LogWarning("JSON output: the model wrote {Text} where a number belongs; wrote the default", Shorten(segment.Text));
        }
        _json.Append(FormatNumber(Clamp(schema, integer ? Math.Truncate(value) : value, integer)));
    }

    private async Task BooleanAsync()
    {
        var segment = await SegmentAsync(PeekTokens, ValueEnd).ConfigureAwait(false);
        string text = segment.Text.TrimStart().ToLowerInvariant();
        _json.Append(text.StartsWith('t') || text.StartsWith('y') || text.StartsWith('1') ? "true" : "false");
    }

    /// <summary>One of the enum's values: the one the model wrote, else the one sharing the longest start with what it
    /// wrote (logged), else the first.</summary>
    private async Task EnumAsync(JsonElement options)
    {
        var values = options.EnumerateArray().ToList();
        bool strings = values.All(v => v.ValueKind == JsonValueKind.String);
        Segment segment;
        string written;
        if (strings)
        {
            _json.Append('"');
            segment = await SegmentAsync(StringTokens, Quote).ConfigureAwait(false);
            written = StringContent(segment.Text);
            _json.Length--; // the quote is part of the chosen value below
        }
        else
        {
            segment = await SegmentAsync(NumberTokens, ValueEnd).ConfigureAwait(false);
            written = segment.Text.Trim();
        }
        string Text(JsonElement v) => strings ? v.GetString()! : v.GetRawText();
        var chosen = values.FirstOrDefault(v => Text(v) == written);
        if (chosen.ValueKind == JsonValueKind.Undefined)
        {
            chosen = values.FirstOrDefault(v => string.Equals(Text(v), written, StringComparison.OrdinalIgnoreCase));
            if (chosen.ValueKind == JsonValueKind.Undefined)
                chosen = values.MaxBy(v => CommonPrefix(Text(v).ToLowerInvariant(), written.ToLowerInvariant()));
            if (!segment.Exhausted)
                logger.LogWarning("JSON output: {Written} is not one of {Values}; wrote {Chosen}", Shorten(written), options.GetRawText(), chosen.GetRawText());
        }
        _json.Append(chosen.GetRawText());
    }

    /// <summary>A value of no declared type: whatever JSON value the model starts writing.</summary>
    private async Task AnyAsync(int depth)
    {
        var peek = await SegmentAsync(PeekTokens, []).ConfigureAwait(false);
        string next = peek.Text.TrimStart();
        char first = next.Length > 0 ? next[0] : '"';
        if (peek.Exhausted) { _json.Append("null"); return; }
        switch (first)
        {
            case '{' when depth < MaxDepth: await FreeObjectAsync(depth).ConfigureAwait(false); break;
            case '[' when depth < MaxDepth: await ArrayAsync(default, depth).ConfigureAwait(false); break;
            case 't' or 'f': _json.Append(first == 't' ? "true" : "false"); break;
            case 'n': _json.Append("null"); break;
            case '-' or (>= '0' and <= '9'): await NumberAsync(default, integer: false).ConfigureAwait(false); break;
            default: await StringAsync(default).ConfigureAwait(false); break;
        }
    }

    /// <summary>The schema's default for a value the budget left no room for (required keys are still written).</summary>
    private void WriteDefault(JsonElement schema)
    {
        schema = Resolve(schema);
        if (schema.ValueKind != JsonValueKind.Object) { _json.Append("null"); return; }
        if (schema.TryGetProperty("const", out var constant)) { _json.Append(constant.GetRawText()); return; }
        if (schema.TryGetProperty("default", out var fallback)) { _json.Append(fallback.GetRawText()); return; }
        if (schema.TryGetProperty("enum", out var options) && options.ValueKind == JsonValueKind.Array && options.GetArrayLength() > 0)
        {
            _json.Append(options[0].GetRawText());
            return;
        }
        switch (TypeOf(schema))
        {
            case "object":
                var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
                _json.Append('{');
                var names = Members(schema, properties);
                for (int i = 0; i < names.Count; i++)
                {
                    if (i > 0) _json.Append(", ");
                    _json.Append(Encode(names[i])).Append(": ");
                    WriteDefault(properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(names[i], out var m) ? m : default);
                }
                _json.Append('}');
                break;
            case "array":
                int min = Count(schema, "minItems") ?? 0;
                var items = schema.TryGetProperty("items", out var it) ? it : default;
                _json.Append('[');
                for (int i = 0; i < min; i++) { if (i > 0) _json.Append(", "); WriteDefault(items); }
                _json.Append(']');
                break;
            case "string": _json.Append("\"\""); break;
            case "integer": _json.Append(FormatNumber(Clamp(schema, 0, integer: true))); break;
            case "number": _json.Append(FormatNumber(Clamp(schema, 0, integer: false))); break;
            case "boolean": _json.Append("false"); break;
            default: _json.Append("null"); break;
        }
    }
}
