using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
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

    public static string Describe(IReadOnlyList<AIFunctionDeclaration> tools, bool required)
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
        sb.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n")
          .Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
        if (required) sb.Append("\n\nYou must call at least one function.");
        return sb.ToString();
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
