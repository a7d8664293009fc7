using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Mercury.AI.Chat;
using Mercury.AI.Chat.Tests;

namespace Mercury.AI.Server.Tests;

/// <summary>The bytes on the wire, read with a plain HttpClient: OpenAI's shapes, SSE framing, errors.</summary>
public sealed class WireFormatTests
{
    internal const string Model = "scripted-model";

    internal static Task<ServerHost> StartScripted(Func<string, string> script, Action<MercuryServerOptions>? configure = null, Action<int>? beforeStep = null) =>
        ServerHost.StartAsync(() => ScriptedBackend.Client(new ScriptedBackend(script) { BeforeStep = beforeStep }), configure);

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, Json(json));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>The <c>data:</c> payloads of an SSE body, checking the framing on the way.</summary>
    internal static List<string> Events(string body)
    {
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        return events.Select(e => e["data: ".Length..]).ToList();
    }

    [Fact]
    public async Task A_chat_completion_has_OpenAIs_shape()
    {
        await using var server = await StartScripted(_ => "def add(a, b):\n    return a + b");
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "add two numbers"}], "max_tokens": 64}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("chatcmpl-", (string)body["id"]!);
        Assert.Equal("chat.completion", (string)body["object"]!);
        Assert.Equal(Model, (string)body["model"]!);
        var choice = body["choices"]![0]!;
        Assert.Equal("assistant", (string)choice["message"]!["role"]!);
        Assert.Equal("def add(a, b):\n    return a + b", (string)choice["message"]!["content"]!);
        Assert.Equal("stop", (string)choice["finish_reason"]!);
        var usage = body["usage"]!;
        Assert.True((int)usage["prompt_tokens"]! > 0);
        Assert.True((int)usage["completion_tokens"]! > 0);
        Assert.Equal((int)usage["prompt_tokens"]! + (int)usage["completion_tokens"]!, (int)usage["total_tokens"]!);
    }

    [Fact]
    public async Task A_stream_is_server_sent_chunks_that_add_up_to_the_answer_then_usage_and_DONE()
    {
        const string answer = "Hello from a diffusion model, streamed left to right.";
        await using var server = await StartScripted(_ => answer);
        using var response = await server.Client.PostAsync("v1/chat/completions", Json(
            $$$"""{"model": "{{{Model}}}", "messages": [{"role": "user", "content": "hi"}], "stream": true, "stream_options": {"include_usage": true}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = Events(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Single(chunks.Select(c => (string)c["id"]!).Distinct());
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        string text = string.Concat(chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? ""));
        Assert.Equal(answer, text);
        Assert.True(chunks.Count(c => c["choices"]!.AsArray().Count > 0 && c["choices"]![0]!["delta"]!["content"] is not null) > 2, "the answer came in several deltas");
        Assert.Equal("stop", (string)chunks[^2]["choices"]![0]!["finish_reason"]!);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.True((int)chunks[^1]["usage"]!["completion_tokens"]! > 0);
    }

    [Fact]
    public async Task Diffusing_streams_the_whole_canvas_at_every_step_then_the_final_text()
    {
        const string answer = "<p>one two three four five six seven eight</p>";
        await using var server = await StartScripted(_ => answer);
        using var response = await server.Client.PostAsync("v1/chat/completions", Json(
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "a page"}], "stream": true, "diffusing": true, "max_tokens": 32}"""));

        var chunks = Events(await response.Content.ReadAsStringAsync())[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var steps = chunks.Where(c => c["diffusion"]?["step"] is not null).ToList();
        Assert.True(steps.Count >= 5, $"one chunk per denoising step (got {steps.Count})");
        Assert.Equal(Enumerable.Range(0, steps.Count), steps.Select(c => (int)c["diffusion"]!["step"]!));
        // Replace semantics: every step carries the full canvas, masks shrinking to none.
        var canvases = steps.Select(c => (string)c["choices"]![0]!["delta"]!["content"]!).ToList();
        Assert.Contains(DiffusionSnapshot.MaskGlyph, canvases[0]);
        var masked = steps.Select(c => (int)c["diffusion"]!["masked"]!).ToList();
        Assert.Equal(masked.OrderByDescending(m => m), masked);
        Assert.Equal(0, masked[^1]);
        var final = chunks.Single(c => c["diffusion"]?["final"] is not null);
        Assert.Equal(answer, (string)final["choices"]![0]!["delta"]!["content"]!);
        Assert.Equal("stop", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public async Task Tools_go_in_and_tool_calls_come_out_in_OpenAIs_shape()
    {
        string? seenPrompt = null;
        await using var server = await StartScripted(p =>
        {
            seenPrompt = p;
            return "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        });
        const string tools = """[{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]""";
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": {{tools}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("get_weather", seenPrompt);
        Assert.Contains("Current weather in a city", seenPrompt);
        var choice = body["choices"]![0]!;
        Assert.Equal("tool_calls", (string)choice["finish_reason"]!);
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.StartsWith("call_", (string)call["id"]!);
        Assert.Equal("function", (string)call["type"]!);
        Assert.Equal("get_weather", (string)call["function"]!["name"]!);
        Assert.Equal("Paris", (string)JsonNode.Parse((string)call["function"]!["arguments"]!)!["city"]!);

        // The result goes back as a tool message and reaches the prompt.
        string callJson = call.ToJsonString();
        var (status2, _) = await PostAsync(server.Client, "v1/chat/completions", $$"""
            {"model": "{{Model}}", "tools": {{tools}}, "messages": [{"role": "user", "content": "Weather in Paris?"},
              {"role": "assistant", "content": null, "tool_calls": [{{callJson}}]},
              {"role": "tool", "tool_call_id": "{{(string)call["id"]!}}", "content": "18 C and sunny"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status2);
        Assert.Contains("18 C and sunny", seenPrompt);
    }

    [Fact]
    public async Task Response_format_json_object_is_honoured()
    {
        await using var server = await StartScripted(_ => "\"name\": \"Ada\", \"age\": 36}"); // JSON mode prefills the "{"
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions",
            $$$"""{"model": "{{{Model}}}", "messages": [{"role": "user", "content": "a person as JSON"}], "response_format": {"type": "json_object"}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Ada", (string)JsonNode.Parse((string)body["choices"]![0]!["message"]!["content"]!)!["name"]!);
    }

    [Theory]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [", 400, null, "invalid_json")]
    [InlineData("[1, 2]", 400, null, null)]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 400, "model", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": []}", 400, "messages", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", 400, "messages[0].role", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", 400, "messages[0].content[0].type", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": 9}", 400, "temperature", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}", 400, "max_tokens", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 3}", 400, "n", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"diffusing\": true}", 400, "diffusing", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tool_choice\": \"required\"}", 400, "tool_choice", null)]
    [InlineData("{\"model\": \"scripted-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"xml\"}}", 400, "response_format.type", null)]
    [InlineData("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 404, "model", "model_not_found")]
    public async Task Bad_requests_get_OpenAI_style_errors_naming_the_field(string json, int status, string? param, string? code)
    {
        await using var server = await StartScripted(_ => "unused");
        var (actual, body) = await PostAsync(server.Client, "v1/chat/completions", json);
        Assert.Equal(status, (int)actual);
        var error = body["error"]!;
        Assert.False(string.IsNullOrWhiteSpace((string)error["message"]!));
        Assert.Equal("invalid_request_error", (string)error["type"]!);
        Assert.Equal(param, (string?)error["param"]);
        if (code is not null) Assert.Equal(code, (string?)error["code"]);
    }

    [Fact]
    public async Task A_bad_sampler_knob_is_refused_by_the_providers_validation()
    {
        await using var server = await StartScripted(_ => "unused");
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "x"}], "algorithm": "telepathy"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("telepathy", (string)body["error"]!["message"]!);
    }

    [Fact]
    public async Task Oversize_bodies_are_refused_with_413_before_parsing_declared_or_chunked()
    {
        await using var server = await StartScripted(_ => "unused", o => o.MaxRequestBodyBytes = 4096);
        string big = $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "{{new string('x', 10_000)}}"}]}""";
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", (string)body["error"]!["code"]!);

        // No Content-Length: the limit holds while streaming the body in.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task The_api_key_guards_v1_but_not_health()
    {
        await using var server = await StartScripted(_ => "ok", o => o.ApiKey = "sk-local");
        using (var none = await server.Client.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("invalid_api_key", (string)JsonNode.Parse(await none.Content.ReadAsStringAsync())!["error"]!["code"]!);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "v1/models"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-other");
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.SendAsync(wrong)).StatusCode);
        }
        using (var right = new HttpRequestMessage(HttpMethod.Get, "v1/models"))
        {
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-local");
            Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(right)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/ready")).StatusCode);
    }

    [Fact]
    public async Task Models_lists_the_served_model_and_unknown_routes_are_404_errors()
    {
        await using var server = await StartScripted(_ => "ok");
        var models = JsonNode.Parse(await server.Client.GetStringAsync("v1/models"))!;
        Assert.Equal("list", (string)models["object"]!);
        Assert.Equal(Model, (string)models["data"]![0]!["id"]!);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"v1/models/{Model}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("v1/models/gpt-4o")).StatusCode);
        using var unknown = await server.Client.GetAsync("v1/embeddings");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.NotNull(JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"]);
    }

    [Fact]
    public async Task Ready_is_503_until_the_model_has_loaded_and_requests_meanwhile_get_model_loading()
    {
        var release = new ManualResetEventSlim();
        await using var server = await ServerHost.StartAsync(() =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            return ScriptedBackend.Client(_ => "ok");
        }, waitUntilReady: false);

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/live")).StatusCode);
        using (var ready = await server.Client.GetAsync("health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("loading", (string)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["status"]!);
        }
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "x"}]}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("model_loading", (string)body["error"]!["code"]!);

        release.Set();
        await server.Services.GetRequiredService<ModelHost>().WhenReadyAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/ready")).StatusCode);
    }

    [Fact]
    public async Task A_model_that_fails_to_load_is_reported_by_ready_and_by_requests()
    {
        await using var server = await ServerHost.StartAsync(() => throw new FileNotFoundException("config.json not found in /nowhere"), waitUntilReady: false);
        await Assert.ThrowsAsync<FileNotFoundException>(() => server.Services.GetRequiredService<ModelHost>().WhenReadyAsync());
        using var ready = await server.Client.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("/nowhere", (string)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["error"]!);
        var (_, body) = await PostAsync(server.Client, "v1/chat/completions", $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "x"}]}""");
        Assert.Equal("model_load_failed", (string)body["error"]!["code"]!);
    }

    [Fact]
    public async Task Fim_fills_the_middle_in_the_text_completion_shape_streamed_or_not()
    {
        string? seen = null;
        await using var server = await StartScripted(p => { seen = p; return "a + b"; });
        var (status, body) = await PostAsync(server.Client, "v1/fim/completions",
            $$"""{"model": "{{Model}}", "prompt": "def add(a, b):\n    return ", "suffix": "\n\nprint(add(1, 2))\n", "max_tokens": 8}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("def add(a, b):\n    return ", seen);
        Assert.Equal("text_completion", (string)body["object"]!);
        Assert.Equal("a + b", (string)body["choices"]![0]!["text"]!);
        Assert.Equal("stop", (string)body["choices"]![0]!["finish_reason"]!);
        Assert.True((int)body["usage"]!["completion_tokens"]! > 0);

        using var response = await server.Client.PostAsync("v1/fim/completions", Json(
            $$"""{"model": "{{Model}}", "prompt": "def add(a, b):\n    return ", "suffix": "\n", "max_tokens": 8, "stream": true}"""));
        var events = Events(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal("a + b", string.Concat(chunks.Select(c => (string)c["choices"]![0]!["text"]!)));
        Assert.Equal("stop", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);

        var (bad, error) = await PostAsync(server.Client, "v1/fim/completions", $$"""{"model": "{{Model}}", "suffix": "x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("prompt", (string)error["error"]!["param"]!);

        // FIM reads the sampler knobs as chat does, through the provider's validation.
        var (badKnob, knobError) = await PostAsync(server.Client, "v1/fim/completions", $$"""{"model": "{{Model}}", "prompt": "x", "algorithm": "telepathy"}""");
        Assert.Equal(HttpStatusCode.BadRequest, badKnob);
        Assert.Contains("telepathy", (string)knobError["error"]!["message"]!);
    }
}
