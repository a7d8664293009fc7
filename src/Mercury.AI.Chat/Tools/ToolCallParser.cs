using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tools;

/// <summary>
/// Finds the model's <c>&lt;tool_call&gt;{json}&lt;/tool_call&gt;</c> blocks in an answer. Each becomes a
/// <see cref="FunctionCallContent"/> with a fresh call id; a block that is not a JSON object with a string
/// <c>name</c> still becomes one, with <see cref="FunctionCallContent.Exception"/> set, so the caller (or
/// <c>FunctionInvokingChatClient</c>) can report the error back to the model instead of crashing.
/// </summary>
internal static partial class ToolCallParser
{
    /// <summary>A closed block, or an unclosed one running to the end (the answer stopped at the end-of-turn token).</summary>
    [GeneratedRegex(@"<tool_call>\s*(?<body>.*?)\s*(?:</tool_call>|\z)", RegexOptions.Singleline)]
    private static partial Regex CallBlock();

    public static (string Text, IReadOnlyList<FunctionCallContent> Calls) Parse(string answer)
    {
        var calls = new List<FunctionCallContent>();
        var text = new System.Text.StringBuilder();
        int last = 0;
        foreach (Match match in CallBlock().Matches(answer))
        {
            text.Append(answer, last, match.Index - last);
            last = match.Index + match.Length;
            calls.Add(ToCall(match.Groups["body"].Value));
        }
        text.Append(answer, last, answer.Length - last);
        return (text.ToString().Trim(), calls);
    }

    private static FunctionCallContent ToCall(string body)
    {
        string callId = NewCallId();
        string? name = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new JsonException($"A tool call must be a JSON object, not {root.ValueKind}.");
            if (!root.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String || nameElement.GetString() is not { Length: > 0 } n)
                throw new JsonException("A tool call needs a non-empty string \"name\".");
            name = n;
            var arguments = new Dictionary<string, object?>();
            if (root.TryGetProperty("arguments", out var args))
            {
                // Some models write the arguments as a JSON string, as OpenAI's wire format does.
                if (args.ValueKind == JsonValueKind.String) args = JsonDocument.Parse(args.GetString()!).RootElement;
                if (args.ValueKind == JsonValueKind.Object)
                    foreach (var property in args.EnumerateObject()) arguments[property.Name] = property.Value.Clone();
                else if (args.ValueKind != JsonValueKind.Null)
                    throw new JsonException($"Tool call \"arguments\" must be a JSON object, not {args.ValueKind}.");
            }
            return new FunctionCallContent(callId, name, arguments) { RawRepresentation = body };
        }
        catch (JsonException e)
        {
            return new FunctionCallContent(callId, name ?? "invalid_tool_call")
            {
                RawRepresentation = body,
                Exception = new InvalidOperationException($"The model wrote a malformed tool call: {e.Message} Text: {body}", e),
            };
        }
    }

    private static string NewCallId() => "call_" + Guid.NewGuid().ToString("N")[..24];
}
