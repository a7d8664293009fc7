using System.Text.Json;
using Mercury.AI.Chat;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server.OpenAI;

/// <summary>
/// A <c>POST /v1/chat/completions</c> body, read into Microsoft.Extensions.AI types so that the provider does the
/// mapping (templates, tools, JSON mode) exactly as for in-process callers. Fields OpenAI defines and the engine cannot
/// honour (<c>n</c> &gt; 1, images, logprobs) are refused with a 400 naming the field rather than silently ignored.
/// </summary>
/// <remarks>
/// Extensions beyond OpenAI's schema: <c>diffusing</c> (stream the whole canvas at every denoising step) and the
/// sampler knobs <c>steps</c>, <c>block_length</c>, <c>algorithm</c>, <c>threshold</c>, <c>cache</c>.
/// </remarks>
public sealed record ChatCompletionRequest(string Model, IReadOnlyList<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage, bool Diffusing)
{
    public static ChatCompletionRequest Parse(JsonElement body, int maxOutputTokens)
    {
        if (body.ValueKind != JsonValueKind.Object) throw OpenAIError.Invalid("The request body must be a JSON object.");
        string model = RequiredString(body, "model");
        if (!body.TryGetProperty("messages", out var messagesJson) || messagesJson.ValueKind != JsonValueKind.Array || messagesJson.GetArrayLength() == 0)
            throw OpenAIError.Invalid("'messages' must be a non-empty array.", "messages");

        var messages = new List<ChatMessage>();
        int index = 0;
        foreach (var m in messagesJson.EnumerateArray()) messages.Add(ReadMessage(m, $"messages[{index++}]"));

        var options = new ChatOptions { ModelId = model, AdditionalProperties = [] };
        if ((Int(body, "max_completion_tokens") ?? Int(body, "max_tokens")) is { } max)
        {
            if (max < 1 || max > maxOutputTokens)
                throw OpenAIError.Invalid($"max_tokens must be between 1 and {maxOutputTokens} (was {max}).", "max_tokens");
            options.MaxOutputTokens = max;
        }
        options.Temperature = (float?)Number(body, "temperature", 0, 2);
        options.TopP = (float?)Number(body, "top_p", 0, 1);
        options.Seed = Long(body, "seed");
        options.StopSequences = Stop(body);
        if (Int(body, "n") is { } n && n != 1) throw OpenAIError.Invalid("Only n = 1 is supported.", "n");
        if (Bool(body, "logprobs") == true) throw OpenAIError.Invalid("logprobs are not supported by this server.", "logprobs");

        ReadTools(body, options);
        options.ResponseFormat = ReadResponseFormat(body);

        ReadKnobs(body, options);

        bool stream = Bool(body, "stream") ?? false;
        bool diffusing = Bool(body, "diffusing") ?? false;
        if (diffusing && !stream) throw OpenAIError.Invalid("'diffusing' streams the canvas and needs 'stream': true.", "diffusing");
        if (diffusing) options.AdditionalProperties[DiffusionChatOptions.StreamSnapshotsKey] = true;
        bool includeUsage = body.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object && (Bool(so, "include_usage") ?? false);
        return new ChatCompletionRequest(model, messages, options, stream, includeUsage, diffusing);
    }

    private static ChatMessage ReadMessage(JsonElement m, string path)
    {
        if (m.ValueKind != JsonValueKind.Object) throw OpenAIError.Invalid($"{path} must be an object.", path);
        string role = RequiredString(m, "role", path);
        switch (role)
        {
            case "system" or "developer":
                return new ChatMessage(ChatRole.System, Text(m, path, required: true));
            case "user":
                return new ChatMessage(ChatRole.User, Text(m, path, required: true));
            case "assistant":
            {
                var contents = new List<AIContent>();
                if (Text(m, path, required: false) is { Length: > 0 } text) contents.Add(new TextContent(text));
                if (m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
                    throw OpenAIError.Invalid($"{path}.tool_calls must be an array.", $"{path}.tool_calls");
                if (calls.ValueKind == JsonValueKind.Array)
                {
                    int i = 0;
                    foreach (var call in calls.EnumerateArray()) contents.Add(ReadToolCall(call, $"{path}.tool_calls[{i++}]"));
                }
                if (contents.Count == 0) throw OpenAIError.Invalid($"{path}: an assistant message needs 'content' or 'tool_calls'.", $"{path}.content");
                return new ChatMessage(ChatRole.Assistant, contents);
            }
            case "tool":
            {
                string callId = RequiredString(m, "tool_call_id", path);
                return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(callId, Text(m, path, required: true))]);
            }
            default:
                throw OpenAIError.Invalid($"{path}.role '{role}' is not one of system, developer, user, assistant, tool.", $"{path}.role");
        }
    }

    private static FunctionCallContent ReadToolCall(JsonElement call, string path)
    {
        string id = RequiredString(call, "id", path);
        if (!call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
            throw OpenAIError.Invalid($"{path}.function must be an object.", $"{path}.function");
        string name = RequiredString(function, "name", $"{path}.function");
        string arguments = function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "{}";
        try
        {
            var parsed = JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments.Length == 0 ? "{}" : arguments);
            return new FunctionCallContent(id, name, parsed);
        }
        catch (JsonException e)
        {
            throw OpenAIError.Invalid($"{path}.function.arguments is not a JSON object: {e.Message}", $"{path}.function.arguments");
        }
    }

    /// <summary><c>content</c> as a string, or the concatenated text of an array of <c>{"type": "text"}</c> parts.</summary>
    private static string Text(JsonElement m, string path, bool required)
    {
        if (!m.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            return required ? throw OpenAIError.Invalid($"{path}.content is required.", $"{path}.content") : "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw OpenAIError.Invalid($"{path}.content must be a string or an array of parts.", $"{path}.content");
        var text = new System.Text.StringBuilder();
        int i = 0;
        foreach (var part in content.EnumerateArray())
        {
            string type = part.ValueKind == JsonValueKind.Object ? RequiredString(part, "type", $"{path}.content[{i}]") : "";
            if (type != "text")
                throw OpenAIError.Invalid($"{path}.content[{i}]: only text parts are supported (got '{type}').", $"{path}.content[{i}].type");
            text.Append(RequiredString(part, "text", $"{path}.content[{i}]"));
            i++;
        }
        return text.ToString();
    }

    private static void ReadTools(JsonElement body, ChatOptions options)
    {
        if (body.TryGetProperty("tools", out var tools) && tools.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            throw OpenAIError.Invalid("'tools' must be an array of {\"type\": \"function\", \"function\": {...}} objects.", "tools");
        if (tools.ValueKind == JsonValueKind.Array)
        {
            options.Tools = [];
            int i = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                string path = $"tools[{i++}]";
                if (tool.ValueKind != JsonValueKind.Object || RequiredString(tool, "type", path) != "function")
                    throw OpenAIError.Invalid($"{path}: only tools of type 'function' are supported.", $"{path}.type");
                if (!tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
                    throw OpenAIError.Invalid($"{path}.function must be an object.", $"{path}.function");
                string name = RequiredString(f, "name", $"{path}.function");
                string? description = f.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                var schema = f.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                    ? p.Clone()
                    : JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;
                options.Tools.Add(AIFunctionFactory.CreateDeclaration(name, description, schema));
            }
        }
        if (!body.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null) return;
        options.ToolMode = choice.ValueKind switch
        {
            JsonValueKind.String => choice.GetString() switch
            {
                "none" => ChatToolMode.None,
                "auto" => ChatToolMode.Auto,
                "required" => ChatToolMode.RequireAny,
                var other => throw OpenAIError.Invalid($"tool_choice '{other}' is not one of none, auto, required.", "tool_choice"),
            },
            JsonValueKind.Object when choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object =>
                ChatToolMode.RequireSpecific(RequiredString(f, "name", "tool_choice.function")),
            _ => throw OpenAIError.Invalid("tool_choice must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice"),
        };
        if (options.ToolMode is RequiredChatToolMode && (options.Tools is null || options.Tools.Count == 0))
            throw OpenAIError.Invalid("tool_choice requires a tool but 'tools' is empty.", "tool_choice");
        if (options.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } wanted } && !options.Tools!.Any(t => t.Name == wanted))
            throw OpenAIError.Invalid($"tool_choice names the function '{wanted}', which is not one of 'tools'.", "tool_choice.function.name");
    }

    private static ChatResponseFormat? ReadResponseFormat(JsonElement body)
    {
        if (!body.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null) return null;
        if (format.ValueKind != JsonValueKind.Object) throw OpenAIError.Invalid("response_format must be an object.", "response_format");
        switch (RequiredString(format, "type", "response_format"))
        {
            case "text": return ChatResponseFormat.Text;
            case "json_object": return ChatResponseFormat.Json;
            case "json_schema":
                if (!format.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                    || !js.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                    throw OpenAIError.Invalid("response_format.json_schema.schema must be an object.", "response_format.json_schema");
                string? name = js.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                string? description = js.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                return ChatResponseFormat.ForJsonSchema(schema.Clone(), name, description);
            case var other:
                throw OpenAIError.Invalid($"response_format.type '{other}' is not one of text, json_object, json_schema.", "response_format.type");
        }
    }

    /// <summary><c>stop</c>: a string or an array of up to 4 strings (chat, FIM and completions alike).</summary>
    internal static IList<string>? Stop(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return null;
        if (stop.ValueKind == JsonValueKind.String) return [stop.GetString()!];
        if (stop.ValueKind == JsonValueKind.Array && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) && stop.GetArrayLength() <= 4)
            return stop.EnumerateArray().Select(s => s.GetString()!).ToList();
        throw OpenAIError.Invalid("stop must be a string or an array of up to 4 strings.", "stop");
    }

    /// <summary>The sampler knobs of a body (chat or FIM), checked and named by their request fields (<see cref="SamplerKnobs"/>).</summary>
    internal static void ReadKnobs(JsonElement body, ChatOptions options) => SamplerKnobs.Read(body, options);

    internal static string RequiredString(JsonElement o, string name, string? path = null)
    {
        string where = path is null ? name : $"{path}.{name}";
        return o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw OpenAIError.Invalid($"'{where}' must be a non-empty string.", where);
    }

    internal static int? Int(JsonElement o, string name) => Long(o, name) is { } v
        ? v is >= int.MinValue and <= int.MaxValue ? (int)v : throw OpenAIError.Invalid($"'{name}' is out of range.", name)
        : null;

    internal static long? Long(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : throw OpenAIError.Invalid($"'{name}' must be an integer.", name);
    }

    internal static double? Number(JsonElement o, string name, double min, double max)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw OpenAIError.Invalid($"'{name}' must be a number.", name);
        double d = v.GetDouble();
        return d >= min && d <= max ? d : throw OpenAIError.Invalid($"'{name}' must be between {min} and {max} (was {d}).", name);
    }

    internal static bool? Bool(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw OpenAIError.Invalid($"'{name}' must be true or false.", name),
        };
    }
}
