using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Chat;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server.OpenAI;

/// <summary>
/// Text completion in OpenAI's <c>text_completion</c> shape, on the engine's infilling (the model sees the suffix while
/// it writes; no chat template). Two routes share it: <c>POST /v1/completions</c>, OpenAI's legacy completions API as
/// its SDKs call it (<c>client.completions.create({prompt, suffix})</c>: infilling when a suffix is given, plain
/// continuation otherwise), and <c>POST /v1/fim/completions</c> (Mercury's: <c>prompt</c> before the cursor, <c>suffix</c>
/// after it). Fields the engine cannot honour (<c>n</c> or <c>best_of</c> &gt; 1, <c>echo</c>, <c>logprobs</c>,
/// <c>logit_bias</c>, penalties) get a 400 naming the field. Needs a <see cref="DiffusionChatClient"/> behind the server.
/// </summary>
internal static class FimCompletionsEndpoint
{
    private const int FimDefaultMaxTokens = 64;

    /// <summary>OpenAI's documented default for <c>/v1/completions</c>.</summary>
    private const int CompletionsDefaultMaxTokens = 16;

    private sealed record TextRequest(string Model, string Prefix, string Suffix, bool Stream, bool IncludeUsage, InfillOptions Options);

    public static Task HandleAsync(HttpContext http, ModelHost host, RequestGate gate, MercuryServerOptions options, ILogger<ModelHost> logger) =>
        HandleAsync(http, host, gate, options, logger, legacy: false);

    public static Task HandleCompletionsAsync(HttpContext http, ModelHost host, RequestGate gate, MercuryServerOptions options, ILogger<ModelHost> logger) =>
        HandleAsync(http, host, gate, options, logger, legacy: true);

    private static Task HandleAsync(HttpContext http, ModelHost host, RequestGate gate, MercuryServerOptions options, ILogger<ModelHost> logger, bool legacy) =>
        Requests.RunAsync(http, gate, logger, async ct =>
        {
            // Admitted before the body is read: a request the server has no room for costs no memory (429 at once).
            using var lease = await gate.EnterAsync(ct);
            TextRequest request;
            using (var body = await RequestBody.ReadJsonAsync(http.Request, options.MaxRequestBodyBytes, ct))
                request = Parse(body.RootElement, options.MaxOutputTokens, legacy);
            var (prefix, suffix, infill) = (request.Prefix, request.Suffix, request.Options);
            var diffusion = host.GetClient(request.Model).GetService<DiffusionChatClient>()
                ?? throw new OpenAIError(501, "This server's chat client is not a diffusion model; text completion needs one.", type: "server_error", code: "fim_unsupported");
            string id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var tokenizer = diffusion.GetService<HuggingFaceTokenizer>();
            int promptTokens = tokenizer is null ? 0 : tokenizer.Encode(prefix).Count + tokenizer.Encode(suffix).Count;
            if (!request.Stream)
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
            if (legacy)
            {
                // As OpenAI streams: the finish in the last choice chunk, usage in a chunk of its own when asked for.
                await events.WriteAsync(Completion(id, created, host.ModelId!, "", finish, null), ct);
                if (request.IncludeUsage)
                {
                    var usage = Completion(id, created, host.ModelId!, "", null, Usage(promptTokens, completionTokens));
                    usage["choices"] = new JsonArray();
                    await events.WriteAsync(usage, ct);
                }
            }
            else
            {
                await events.WriteAsync(Completion(id, created, host.ModelId!, "", finish, Usage(promptTokens, completionTokens)), ct);
            }
            await events.DoneAsync(ct);
        });

    private static TextRequest Parse(JsonElement body, int maxOutputTokens, bool legacy)
    {
        if (body.ValueKind != JsonValueKind.Object) throw OpenAIError.Invalid("The request body must be a JSON object.");
        string model = ChatCompletionRequest.RequiredString(body, "model");
        string prompt = Prompt(body, legacy);
        string suffix = body.TryGetProperty("suffix", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()!
            : body.TryGetProperty("suffix", out s) && s.ValueKind != JsonValueKind.Null ? throw OpenAIError.Invalid("'suffix' must be a string.", "suffix") : "";
        int max = ChatCompletionRequest.Int(body, "max_tokens") ?? (legacy ? CompletionsDefaultMaxTokens : FimDefaultMaxTokens);
        if (max < 1 || max > maxOutputTokens) throw OpenAIError.Invalid($"max_tokens must be between 1 and {maxOutputTokens} (was {max}).", "max_tokens");
        RefuseUnsupported(body);

        // The knobs are checked as chat checks them (SamplerKnobs): a bad one is a 400 naming its request field.
        var knobs = new ChatOptions();
        ChatCompletionRequest.ReadKnobs(body, knobs);
        var options = new InfillOptions
        {
            MaxMiddleTokens = max,
            Temperature = ChatCompletionRequest.Number(body, "temperature", 0, 2),
            TopP = ChatCompletionRequest.Number(body, "top_p", 0, 1),
            Seed = ChatCompletionRequest.Long(body, "seed"),
            StopSequences = ChatCompletionRequest.Stop(body), // an object or a number is refused, not ignored
            Diffusion = DiffusionChatOptions.From(knobs),
        };
        bool includeUsage = body.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && (ChatCompletionRequest.Bool(so, "include_usage") ?? false);
        return new TextRequest(model, prompt, suffix, ChatCompletionRequest.Bool(body, "stream") ?? false, includeUsage, options);
    }

    /// <summary><c>prompt</c>: a string; OpenAI's completions API also takes a list of prompts (one choice each) and
    /// token ids: a list of exactly one string is accepted, the rest refused.</summary>
    private static string Prompt(JsonElement body, bool legacy)
    {
        if (body.TryGetProperty("prompt", out var p))
        {
            if (p.ValueKind == JsonValueKind.String) return p.GetString()!;
            if (legacy && p.ValueKind == JsonValueKind.Array)
            {
                if (p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String) return p[0].GetString()!;
                throw OpenAIError.Invalid(p.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                    ? $"'prompt' holds {p.GetArrayLength()} prompts; this server completes one prompt per request."
                    : "'prompt' must be a string: token-id prompts are not supported.", "prompt");
            }
        }
        throw OpenAIError.Invalid(legacy ? "'prompt' must be a string." : "'prompt' (the code before the gap) must be a string.", "prompt");
    }

    private static void RefuseUnsupported(JsonElement body)
    {
        if (ChatCompletionRequest.Int(body, "n") is { } n && n != 1) throw OpenAIError.Invalid("Only n = 1 is supported.", "n");
        if (ChatCompletionRequest.Int(body, "best_of") is { } bestOf && bestOf != 1) throw OpenAIError.Invalid("Only best_of = 1 is supported.", "best_of");
        if (ChatCompletionRequest.Bool(body, "echo") == true)
            throw OpenAIError.Invalid("echo is not supported: the response holds the completion only.", "echo");
        if (body.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind is not (JsonValueKind.Null or JsonValueKind.False))
            throw OpenAIError.Invalid("logprobs are not supported by this server.", "logprobs");
        if (body.TryGetProperty("logit_bias", out var bias) && bias.ValueKind == JsonValueKind.Object && bias.EnumerateObject().Any())
            throw OpenAIError.Invalid("logit_bias is not supported by this server.", "logit_bias");
        foreach (string penalty in new[] { "presence_penalty", "frequency_penalty" })
            if (ChatCompletionRequest.Number(body, penalty, -2, 2) is { } value && value != 0)
                throw OpenAIError.Invalid($"{penalty} is not supported by this server (only 0).", penalty);
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
