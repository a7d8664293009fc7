using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Chat;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server.OpenAI;

/// <summary>
/// <c>POST /v1/fim/completions</c> (as Mercury's API): <c>prompt</c> (code before the cursor) + <c>suffix</c> (code after)
/// → the middle, in OpenAI's <c>text_completion</c> shape, on the engine's infilling (the model sees the suffix while
/// it writes). Needs a <see cref="DiffusionChatClient"/> behind the server's chat client.
/// </summary>
internal static class FimCompletionsEndpoint
{
    private const int DefaultMaxTokens = 64;

    public static Task HandleAsync(HttpContext http, ModelHost host, RequestGate gate, MercuryServerOptions options, ILogger<ModelHost> logger) =>
        Requests.RunAsync(http, gate, logger, async ct =>
        {
            string model, prefix, suffix;
            bool stream;
            InfillOptions infill;
            // Admitted before the body is read: a request the server has no room for costs no memory (429 at once).
            using var lease = await gate.EnterAsync(ct);
            using (var body = await RequestBody.ReadJsonAsync(http.Request, options.MaxRequestBodyBytes, ct))
                (model, prefix, suffix, stream, infill) = Parse(body.RootElement, options.MaxOutputTokens);
            var diffusion = host.GetClient(model).GetService<DiffusionChatClient>()
                ?? throw new OpenAIError(501, "This server's chat client is not a diffusion model; fill-in-the-middle needs one.", type: "server_error", code: "fim_unsupported");
            string id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var tokenizer = diffusion.GetService<HuggingFaceTokenizer>();
            int promptTokens = tokenizer is null ? 0 : tokenizer.Encode(prefix).Count + tokenizer.Encode(suffix).Count;
            if (!stream)
            {
                var result = await diffusion.InfillAsync(prefix, suffix, infill, ct);
                await Results.Json(Completion(id, created, host.ModelId!, result.Middle, result.EndedEarly ? "stop" : "length",
                    Usage(promptTokens, result.Tokens.Count))).ExecuteAsync(http);
                return;
            }
            var events = ServerSentEvents.Start(http.Response);
            var middle = new System.Text.StringBuilder();
            await foreach (string delta in diffusion.InfillStreamingAsync(prefix, suffix, infill, ct))
            {
                middle.Append(delta);
                await events.WriteAsync(Completion(id, created, host.ModelId!, delta, null, null), ct);
            }
            int completionTokens = tokenizer?.Encode(middle.ToString()).Count ?? 0;
            string finish = completionTokens < infill.MaxMiddleTokens ? "stop" : "length";
            await events.WriteAsync(Completion(id, created, host.ModelId!, "", finish, Usage(promptTokens, completionTokens)), ct);
            await events.DoneAsync(ct);
        });

    private static (string Model, string Prefix, string Suffix, bool Stream, InfillOptions Options) Parse(JsonElement body, int maxOutputTokens)
    {
        if (body.ValueKind != JsonValueKind.Object) throw OpenAIError.Invalid("The request body must be a JSON object.");
        string model = ChatCompletionRequest.RequiredString(body, "model");
        if (!body.TryGetProperty("prompt", out var p) || p.ValueKind != JsonValueKind.String)
            throw OpenAIError.Invalid("'prompt' (the code before the gap) must be a string.", "prompt");
        string suffix = body.TryGetProperty("suffix", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()!
            : body.TryGetProperty("suffix", out s) && s.ValueKind != JsonValueKind.Null ? throw OpenAIError.Invalid("'suffix' must be a string.", "suffix") : "";
        int max = ChatCompletionRequest.Int(body, "max_tokens") ?? DefaultMaxTokens;
        if (max < 1 || max > maxOutputTokens) throw OpenAIError.Invalid($"max_tokens must be between 1 and {maxOutputTokens} (was {max}).", "max_tokens");

        // The knobs go through the provider's reader, so FIM and chat accept and validate the same values.
        var knobs = new ChatOptions();
        ChatCompletionRequest.ReadKnobs(body, knobs);
        var options = new InfillOptions
        {
            MaxMiddleTokens = max,
            Temperature = ChatCompletionRequest.Number(body, "temperature", 0, 2),
            Seed = ChatCompletionRequest.Long(body, "seed"),
            StopSequences = ChatCompletionRequest.Stop(body)?.ToList(), // an object or a number is refused, not ignored
            Diffusion = DiffusionChatOptions.From(knobs),
        };
        return (model, p.GetString()!, suffix, ChatCompletionRequest.Bool(body, "stream") ?? false, options);
    }

    private static JsonObject Completion(string id, long created, string model, string text, string? finishReason, JsonObject? usage)
    {
        var json = new JsonObject
        {
            ["id"] = id,
            ["object"] = "text_completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = text, ["logprobs"] = null, ["finish_reason"] = finishReason }),
        };
        if (usage is not null) json["usage"] = usage;
        return json;
    }

    private static JsonObject Usage(int prompt, int completion) =>
        new() { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion };
}
