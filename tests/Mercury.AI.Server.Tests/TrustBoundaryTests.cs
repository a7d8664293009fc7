using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Mercury.AI.Server.Tests;

/// <summary>Issue 14, items 1 and 18: what a web page, a bad body or a flood of bodies can do to /v1.</summary>
public sealed class TrustBoundaryTests
{
    private const string Chat = """{"model": "scripted-model", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16}""";

    private const string Completion = """{"model": "scripted-model", "prompt": "def add(a, b):\n    return ", "max_tokens": 16}""";

    /// <summary>Every /v1 route that reads a body, with a valid one.</summary>
    public static TheoryData<string, string> BodyRoutes => new()
    {
        { "v1/chat/completions", Chat },
        { "v1/completions", Completion },
        { "v1/fim/completions", """{"model": "scripted-model", "prompt": "def add(a, b):\n    return ", "suffix": "\n", "max_tokens": 16}""" },
    };

    private static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(ServerHost server, HttpMethod method, string path,
        string? json = null, string? origin = null, string? host = null, string? contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, contentType!);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (host is not null) request.Headers.Host = host;
        var response = await server.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null, response);
    }

    [Theory]
    [MemberData(nameof(BodyRoutes))]
    public async Task Without_an_API_key_a_foreign_origin_or_host_is_refused_and_nothing_is_decoded(string path, string json)
    {
        int steps = 0;
        await using var server = await WireFormatTests.StartScripted(_ => "ok", beforeStep: _ => Interlocked.Increment(ref steps));
        var (crossOrigin, body, _) = await SendAsync(server, HttpMethod.Post, path, json, origin: "http://127.0.0.1:9999", contentType: "text/plain");
        Assert.Equal(HttpStatusCode.Forbidden, crossOrigin);
        Assert.Equal("origin_not_allowed", (string?)body!["error"]!["code"]);
        var (rebound, rebinding, _) = await SendAsync(server, HttpMethod.Post, path, json, host: "evil.example:" + server.BaseAddress.Port);
        Assert.Equal(HttpStatusCode.Forbidden, rebound);
        Assert.Equal("host_not_allowed", (string?)rebinding!["error"]!["code"]);
        Assert.Equal(0, Volatile.Read(ref steps));

        // The playground is served by the server itself: same origin, allowed.
        var (sameOrigin, _, _) = await SendAsync(server, HttpMethod.Post, path, json, origin: server.BaseAddress.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, sameOrigin);
    }

    [Fact]
    public async Task A_page_on_another_local_origin_in_real_Chromium_cannot_use_the_model()
    {
        int steps = 0;
        await using var server = await WireFormatTests.StartScripted(_ => "ok", beforeStep: _ => Interlocked.Increment(ref steps));
        string api = server.BaseAddress + "v1/chat/completions";
        string attack = $$"""
            <!DOCTYPE html><html><body><script>
              fetch('{{api}}', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{{Chat}}' })
                .finally(() => { document.title = 'sent'; });
            </script></body></html>
            """;
        using var listener = new HttpListener();
        int pagePort = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{pagePort}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            byte[] bytes = Encoding.UTF8.GetBytes(attack);
            context.Response.ContentType = "text/html";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        });
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        var refused = page.WaitForResponseAsync(api);
        await page.GotoAsync($"http://127.0.0.1:{pagePort}/");
        Assert.Equal(403, (await refused).Status); // the request reached the server, which turned it away
        Assert.Equal(0, Volatile.Read(ref steps));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task With_an_API_key_the_host_is_not_checked_and_listed_browser_origins_get_CORS()
    {
        await using var server = await WireFormatTests.StartScripted(_ => "ok", o => { o.ApiKey = "sk-test"; o.AllowedOrigins = ["http://app.example"]; });
        server.Client.DefaultRequestHeaders.Authorization = new("Bearer", "sk-test");
        var (viaName, _, _) = await SendAsync(server, HttpMethod.Post, "v1/chat/completions", Chat, host: "gpu-box.internal");
        Assert.Equal(HttpStatusCode.OK, viaName);

        server.Client.DefaultRequestHeaders.Authorization = null; // a preflight carries no credentials
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        preflight.Headers.Add("Origin", "http://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
        using var answer = await server.Client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("http://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());

        server.Client.DefaultRequestHeaders.Authorization = new("Bearer", "sk-test");
        var (listed, _, response) = await SendAsync(server, HttpMethod.Post, "v1/chat/completions", Chat, origin: "http://app.example");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal("http://app.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var (other, _, _) = await SendAsync(server, HttpMethod.Post, "v1/chat/completions", Chat, origin: "http://other.example");
        Assert.Equal(HttpStatusCode.Forbidden, other);
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model": "scripted-model", "messages": [{"role": "user", "content": "\ud800"}]}""", "messages[0].content")]
    [InlineData("v1/chat/completions", """{"model": "scripted-model", "messages": [{"role": "user", "content": "x"}], "stop": ["a", "\udfff"]}""", "stop[1]")]
    [InlineData("v1/completions", """{"model": "scripted-model", "prompt": "x = \ud800"}""", "prompt")]
    [InlineData("v1/completions", """{"model": "scripted-model", "prompt": ["x"], "suffix": "\udc00"}""", "suffix")]
    public async Task A_lone_surrogate_is_a_400_naming_where_it_is(string path, string json, string param)
    {
        await using var server = await WireFormatTests.StartScripted(_ => "unused");
        var (status, body) = await WireFormatTests.PostAsync(server.Client, path, json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, (string?)body["error"]!["param"]);
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model": "scripted-model", "messages": [{"role": "user", "content": " """, "\"}]}")]
    [InlineData("v1/completions", """{"model": "scripted-model", "prompt": " """, "\"}")]
    public async Task Invalid_UTF8_is_a_400(string path, string before, string after)
    {
        await using var server = await WireFormatTests.StartScripted(_ => "unused");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(before), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(after)];
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        using var response = await server.Client.PostAsync(path, content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("UTF-8", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("\"steps\": 0", "steps")]
    [InlineData("\"block_length\": \"big\"", "block_length")]
    [InlineData("\"algorithm\": \"telepathy\"", "algorithm")]
    [InlineData("\"threshold\": 1.5", "threshold")]
    [InlineData("\"algorithm\": \"LowConfidence\", \"threshold\": 0.9", "threshold")]
    [InlineData("\"cache\": 3", "cache")]
    public async Task A_bad_sampler_knob_is_named_by_its_request_field(string knob, string param)
    {
        await using var server = await WireFormatTests.StartScripted(_ => "unused");
        foreach (var (path, json) in new[]
        {
            ("v1/chat/completions", $$"""{"model": "scripted-model", "messages": [{"role": "user", "content": "x"}], {{knob}}}"""),
            ("v1/fim/completions", $$"""{"model": "scripted-model", "prompt": "x", {{knob}}}"""),
            ("v1/completions", $$"""{"model": "scripted-model", "prompt": "x", {{knob}}}"""),
        })
        {
            var (status, body) = await WireFormatTests.PostAsync(server.Client, path, json);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(param, (string?)body["error"]!["param"]);
            Assert.Contains($"'{param}'", (string)body["error"]!["message"]!);
            Assert.DoesNotContain("mercury.", (string)body["error"]!["message"]!);
        }
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model": "scripted-model", "messages": [{"role": "user", "content": "x"}], "tools": {"type": "function"}}""", "tools")]
    [InlineData("v1/chat/completions", """{"model": "scripted-model", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "add"}}], "tool_choice": {"type": "function", "function": {"name": "rm_rf"}}}""", "tool_choice.function.name")]
    [InlineData("v1/chat/completions", """{"model": "scripted-model", "messages": [{"role": "assistant", "content": "x", "tool_calls": {"id": "1"}}]}""", "messages[0].tool_calls")]
    [InlineData("v1/fim/completions", """{"model": "scripted-model", "prompt": "x", "stop": {"a": 1}}""", "stop")]
    [InlineData("v1/completions", """{"model": "scripted-model", "prompt": "x", "stop": {"a": 1}}""", "stop")]
    [InlineData("v1/completions", """{"model": "scripted-model", "prompt": "x", "suffix": {"text": "y"}}""", "suffix")]
    public async Task A_wrong_typed_field_is_refused_not_ignored(string path, string json, string param)
    {
        await using var server = await WireFormatTests.StartScripted(_ => "unused");
        var (status, body) = await WireFormatTests.PostAsync(server.Client, path, json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, (string?)body["error"]!["param"]);
    }

    [Theory]
    [MemberData(nameof(BodyRoutes))]
    public async Task A_request_with_no_room_is_refused_before_its_body_is_read_and_a_queued_one_holds_no_body(string path, string json)
    {
        var gate = new ManualResetEventSlim();
        await using var server = await WireFormatTests.StartScripted(_ => "done", o => { o.MaxConcurrentRequests = 1; o.MaxQueuedRequests = 1; },
            beforeStep: _ => gate.Wait(TimeSpan.FromSeconds(30)));
        var first = server.Client.PostAsync("v1/chat/completions", WireFormatTests.Json(Chat));
        await LoadAndCancellationTests.WaitUntil(() => server.Gate.Active == 1);

        // The queued request has sent its headers only: it waits without its body.
        using var queued = await ConnectAsync(server, Headers(server, path, Encoding.UTF8.GetByteCount(json)));
        await LoadAndCancellationTests.WaitUntil(() => server.Gate.Waiting == 1);

        // One more announces a megabyte and sends none of it: the 429 comes anyway, so nothing was buffered first.
        using var refused = await ConnectAsync(server, Headers(server, path, 1_000_000));
        string answer = await ReadHeadAsync(refused);
        Assert.StartsWith("HTTP/1.1 429", answer);

        gate.Set();
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        await queued.GetStream().WriteAsync(Encoding.UTF8.GetBytes(json));
        Assert.StartsWith("HTTP/1.1 200", await ReadHeadAsync(queued));
    }

    private static string Headers(ServerHost server, string path, int length) =>
        $"POST /{path} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n";

    private static async Task<TcpClient> ConnectAsync(ServerHost server, string head)
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head));
        return client;
    }

    private static async Task<string> ReadHeadAsync(TcpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[8192];
        var text = new StringBuilder();
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await client.GetStream().ReadAsync(buffer, timeout.Token);
            if (read == 0) break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return text.ToString();
    }
}
