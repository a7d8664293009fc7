using System.Text.Json.Nodes;
using Mercury.AI.Chat;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server.OpenAI;

/// <summary><c>POST /v1/chat/completions</c>: OpenAI's chat API over any <see cref="IChatClient"/>, plus the <c>diffusing</c> canvas stream.</summary>
internal static class ChatCompletionsEndpoint
{
    public static Task HandleAsync(HttpContext http, ModelHost host, RequestGate gate, MercuryServerOptions options, ILogger<ModelHost> logger) =>
        Requests.RunAsync(http, gate, logger, async ct =>
        {
            // Admitted before the body is read: a request the server has no room for costs no memory (429 at once).
            using var lease = await gate.EnterAsync(ct);
            ChatCompletionRequest request;
            using (var body = await RequestBody.ReadJsonAsync(http.Request, options.MaxRequestBodyBytes, ct))
                request = ChatCompletionRequest.Parse(body.RootElement, options.MaxOutputTokens);
            var client = host.GetClient(request.Model);
            string id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            string model = host.ModelId!;
            if (!request.Stream)
            {
                var response = await client.GetResponseAsync(request.Messages, request.Options, ct);
                await Results.Json(ChatCompletionWire.Completion(id, created, model, response)).ExecuteAsync(http);
                return;
            }
            await StreamAsync(http, client, request, id, created, model, ct);
        });

    /// <summary>
    /// Plain streaming sends text deltas that only grow (what OpenAI clients expect). With <c>diffusing</c>, each
    /// denoising step sends the whole answer canvas as <c>delta.content</c> (masks drawn as <c>░</c>) plus a
    /// <c>diffusion</c> object; clients replace, not append. The last content chunk carries the final text.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, IChatClient client, ChatCompletionRequest request, string id, long created, string model, CancellationToken ct)
    {
        var events = ServerSentEvents.Start(http.Response);
        await events.WriteAsync(ChatCompletionWire.Chunk(id, created, model, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), ct);
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        int toolCalls = 0;
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(request.Messages, request.Options, ct))
            {
                if (update.AdditionalProperties?.TryGetValue(DiffusionChatOptions.SnapshotKey, out object? s) == true && s is DiffusionSnapshot snapshot)
                {
                    if (request.Diffusing)
                        await events.WriteAsync(ChatCompletionWire.Chunk(id, created, model, new JsonObject { ["content"] = snapshot.Text }, null,
                            ChatCompletionWire.Diffusion(snapshot)), ct);
                    continue;
                }
                foreach (var content in update.Contents)
                {
                    switch (content)
                    {
                        case TextContent { Text.Length: > 0 } t when !request.Diffusing:
                            await events.WriteAsync(ChatCompletionWire.Chunk(id, created, model, new JsonObject { ["content"] = t.Text }, null), ct);
                            break;
                        case TextContent t:
                            text.Append(t.Text);
                            break;
                        case FunctionCallContent call:
                            await events.WriteAsync(ChatCompletionWire.Chunk(id, created, model,
                                new JsonObject { ["tool_calls"] = new JsonArray(ChatCompletionWire.ToolCall(call, toolCalls++)) }, null), ct);
                            break;
                        case UsageContent u:
                            usage = u.Details;
                            break;
                    }
                }
                finish = update.FinishReason ?? finish;
            }
            if (request.Diffusing)
                await events.WriteAsync(ChatCompletionWire.Chunk(id, created, model, new JsonObject { ["content"] = text.ToString() }, null,
                    new JsonObject { ["diffusion"] = new JsonObject { ["final"] = true } }), ct);
            await events.WriteAsync(ChatCompletionWire.Chunk(id, created, model, null, ChatCompletionWire.FinishReason(finish, toolCalls)), ct);
            if (request.IncludeUsage) await events.WriteAsync(ChatCompletionWire.UsageChunk(id, created, model, usage), ct);
            await events.DoneAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !ct.IsCancellationRequested)
        {
            // Headers are gone: report the failure in-band, as OpenAI does, and end the stream.
            var error = Requests.ToOpenAIError(e);
            await events.WriteAsync(error.ToJson(), CancellationToken.None);
            throw new StreamFailedException(e);
        }
    }
}
