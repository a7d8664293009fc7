using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mercury.AI.Chat.Templates;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tools;

/// <summary>
/// Qwen2.5's tool syntax, which the ChatML models are trained on (and which the LLaDA template reuses, having
/// none of its own): signatures inside <c>&lt;tools&gt;&lt;/tools&gt;</c> in the system prompt, calls as
/// <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, results as <c>&lt;tool_response&gt;</c>.
/// </summary>
internal static class ToolPrompt
{
    public const string CallOpen = "<tool_call>";
    public const string CallClose = "</tool_call>";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>M.E.AI's defaults (camelCase, relaxed escaping), on one line: the prompt is read by a model.</summary>
    private static readonly JsonSerializerOptions Compact = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    /// <summary>The tools block of the system prompt in <paramref name="format"/>. <paramref name="requiredTool"/>
    /// (with <paramref name="required"/>) names the one function the answer must call.</summary>
    public static string Describe(IReadOnlyList<AIFunctionDeclaration> tools, bool required, ToolPromptFormat format = ToolPromptFormat.Qwen, string? requiredTool = null)
    {
        string rule = !required ? "" : requiredTool is null ? "\n\nYou must call at least one function." : $"\n\nYou must call the function {requiredTool}.";
        return format == ToolPromptFormat.Compact ? DescribeCompact(tools) + rule : DescribeQwen(tools) + rule;
    }

    private static string DescribeQwen(IReadOnlyList<AIFunctionDeclaration> tools)
    {
        var sb = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n")
            .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
        foreach (var tool in tools)
            sb.Append('\n').Append(Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", tool.Name);
                if (!string.IsNullOrEmpty(tool.Description)) writer.WriteString("description", tool.Description);
                writer.WritePropertyName("parameters");
                tool.JsonSchema.WriteTo(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }));
        return sb.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n")
          .Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>").ToString();
    }

    /// <summary>One line per function, <c>name(city: string, unit?: "c" | "f") - description</c>: a fraction of the
    /// tokens of JSON schemas, so several functions fit a small model's context.</summary>
    private static string DescribeCompact(IReadOnlyList<AIFunctionDeclaration> tools)
    {
        var sb = new StringBuilder("# Tools\n");
        foreach (var tool in tools)
        {
            sb.Append(tool.Name).Append('(');
            var required = tool.JsonSchema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal)
                : [];
            if (tool.JsonSchema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
                sb.AppendJoin(", ", properties.EnumerateObject().Select(p => $"{p.Name}{(required.Contains(p.Name) ? "" : "?")}: {TypeOf(p.Value)}"));
            sb.Append(')');
            if (!string.IsNullOrWhiteSpace(tool.Description)) sb.Append(" - ").Append(tool.Description.ReplaceLineEndings(" ").Trim());
            sb.Append('\n');
        }
        return sb.Append("To call a function, answer with <tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>").ToString();
    }

    /// <summary>A JSON schema as a short type: <c>string</c>, <c>integer[]</c>, <c>"a" | "b"</c>.</summary>
    private static string TypeOf(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object) return "any";
        if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
            return string.Join(" | ", values.EnumerateArray().Select(v => v.GetRawText()));
        string type = schema.TryGetProperty("type", out var t) ? t.ValueKind switch
        {
            JsonValueKind.String => t.GetString()!,
            // ["string", "null"]: a nullable value; the model only needs the non-null type.
            JsonValueKind.Array => t.EnumerateArray().Select(x => x.GetString()).FirstOrDefault(x => x is not (null or "null")) ?? "null",
            _ => "any",
        } : "any";
        return type == "array" && schema.TryGetProperty("items", out var items) ? TypeOf(items) + "[]" : type;
    }

    public static string RenderCall(FunctionCallContent call)
    {
        string arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), Compact);
        string name = Json(writer => writer.WriteStringValue(call.Name));
        return $"{CallOpen}\n{{\"name\": {name}, \"arguments\": {arguments}}}\n{CallClose}";
    }

    public static string RenderResult(FunctionResultContent result)
    {
        string text = result.Exception is { } e ? $"Error: {e.Message}" : result.Result switch
        {
            null => "",
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!, // AIFunction results arrive JSON-encoded
            JsonElement element => element.GetRawText(),
            var other => JsonSerializer.Serialize(other, Compact.GetTypeInfo(other.GetType())),
        };
        return $"<tool_response>\n{text}\n</tool_response>";
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions)) write(writer);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
