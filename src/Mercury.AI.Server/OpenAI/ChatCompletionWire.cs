using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Chat;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server.OpenAI;

/// <summary>OpenAI's response shapes (<c>chat.completion</c> and <c>chat.completion.chunk</c>) built from Microsoft.Extensions.AI results.</summary>
internal static class ChatCompletionWire
{
    public static JsonObject Completion(string id, long created, string model, ChatResponse response)
    {
        var message = response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant) ?? new ChatMessage(ChatRole.Assistant, "");
        var calls = message.Contents.OfType<FunctionCallContent>().ToList();
        string text = string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
        var wireMessage = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = calls.Count > 0 && text.Length == 0 ? null : text,
            ["refusal"] = null,
        };
        if (calls.Count > 0) wireMessage["tool_calls"] = new JsonArray(calls.Select(c => ToolCall(c, index: null)).ToArray<JsonNode?>());
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = wireMessage,
                ["logprobs"] = null,
                ["finish_reason"] = FinishReason(response.FinishReason, calls.Count),
            }),
            ["usage"] = Usage(response.Usage),
        };
    }

    /// <summary>A chunk with one choice. <paramref name="delta"/> null = an empty delta (the final chunk).</summary>
    public static JsonObject Chunk(string id, long created, string model, JsonObject? delta, string? finishReason, JsonObject? extra = null)
    {
        var chunk = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["delta"] = delta ?? new JsonObject(),
                ["logprobs"] = null,
                ["finish_reason"] = finishReason,
            }),
        };
        if (extra is not null)
            foreach (var (key, value) in extra.ToList())
            {
                extra.Remove(key);
                chunk[key] = value;
            }
        return chunk;
    }

    /// <summary>The usage-only chunk OpenAI sends last when <c>stream_options.include_usage</c> is set.</summary>
    public static JsonObject UsageChunk(string id, long created, string model, UsageDetails? usage) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new JsonArray(),
        ["usage"] = Usage(usage),
    };

    /// <summary>The <c>diffusion</c> extension of a chunk in <c>diffusing</c> mode.</summary>
    public static JsonObject Diffusion(DiffusionSnapshot s) => new()
    {
        ["diffusion"] = new JsonObject
        {
            ["step"] = s.Step,
            ["block"] = s.Block,
            ["masked"] = s.MaskedCount,
            ["stable"] = s.StableLength,
            ["mask_glyph"] = DiffusionSnapshot.MaskGlyph,
        },
    };

    public static JsonObject ToolCall(FunctionCallContent call, int? index)
    {
        // A malformed call (the model's JSON did not parse) keeps the model's raw text, so the client sees what was written.
        string arguments = call.Exception is null
            ? JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>())
            : call.RawRepresentation as string ?? "{}";
        var json = new JsonObject();
        if (index is { } i) json["index"] = i;
        json["id"] = call.CallId;
        json["type"] = "function";
        json["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = arguments };
        return json;
    }

    public static string FinishReason(ChatFinishReason? reason, int toolCalls) =>
        toolCalls > 0 ? "tool_calls"
        : reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : "stop";

    public static JsonObject Usage(UsageDetails? usage)
    {
        long input = usage?.InputTokenCount ?? 0, output = usage?.OutputTokenCount ?? 0;
        return new JsonObject
        {
            ["prompt_tokens"] = input,
            ["completion_tokens"] = output,
            ["total_tokens"] = usage?.TotalTokenCount ?? input + output,
        };
    }
}
