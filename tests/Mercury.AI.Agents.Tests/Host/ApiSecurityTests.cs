using System.Net;
using System.Net.Sockets;
using System.Text;
using Mercury.AI.Agents.Host;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>Issue 14, items 1 and 17 (and 9's rate limit): the loopback API refuses what a web page or a slow client sends.</summary>
public sealed class ApiSecurityTests : IAsyncLifetime
{
    private const string Token = "api-test-token-0123456789";
    private readonly TempFolder _dir = new("mercury-api");
    private SqliteJobStore _store = null!;
    private LoopbackApi _api = null!;
    private HttpClient _http = null!;

    private static string Job => File.ReadAllText(Path.Combine(Runners.SampleSolutionTests.SamplesFolder(), "python-word-frequencies.json"));

    public async Task InitializeAsync()
    {
        _store = new SqliteJobStore(_dir.Combine("jobs.db"));
        _api = new LoopbackApi(new JobService(_store), new LoopbackApiOptions
        {
            Port = HostProcess.FreePort(), Token = Token, BodyTimeout = TimeSpan.FromSeconds(1), SubmitBurst = 3, SubmitsPerMinute = 1,
        }, new AgentHostHealth(), NullLogger<LoopbackApi>.Instance);
        await _api.StartAsync(CancellationToken.None);
        _http = new HttpClient { BaseAddress = new Uri(_api.Prefix), Timeout = TimeSpan.FromSeconds(20) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _api.StopAsync(CancellationToken.None);
        await _api.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private async Task<int> Stored() => (await _store.ListAsync()).Count;

    private HttpRequestMessage Post(string path, string? body, string? contentType, string? token = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    [Fact]
    public async Task A_simple_cross_origin_post_without_the_token_stores_nothing()
    {
        // What a page on another origin can send without a CORS preflight: text/plain, no custom headers.
        var noToken = Post("jobs", Job, "text/plain", token: null);
        noToken.Headers.Add("Origin", "http://127.0.0.1:8000");
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(noToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(Post("jobs", Job, "text/plain", token: null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(Post("jobs", Job, null, token: "wrong-token-0123456789"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _http.SendAsync(Post("jobs", Job, "text/plain"))).StatusCode);
        Assert.Equal(0, await Stored());
        Assert.Equal(HttpStatusCode.Created, (await _http.SendAsync(Post("jobs", Job, null))).StatusCode);
        Assert.Equal(1, await Stored());
    }

    [Fact]
    public async Task A_foreign_Host_header_is_refused_even_with_the_token()
    {
        var rebound = Post("jobs", Job, null);
        rebound.Headers.Host = "evil.example:" + new Uri(_api.Prefix).Port; // DNS rebinding: the page's own name
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(rebound)).StatusCode);
        var read = new HttpRequestMessage(HttpMethod.Get, "jobs") { Headers = { Host = "evil.example", Authorization = new("Bearer", Token) } };
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(read)).StatusCode);
        Assert.Equal(0, await Stored());
    }

    [Fact]
    public async Task A_page_on_another_local_origin_in_real_Chromium_cannot_create_a_job()
    {
        int pagePort = HostProcess.FreePort();
        string attack = $$"""
            <!DOCTYPE html><html><body>
            <form id="f" method="POST" enctype="text/plain" action="{{_api.Prefix}}jobs"><input name='{"x":"' value='"}'></form>
            <script>
              fetch('{{_api.Prefix}}jobs', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: {{System.Text.Json.JsonSerializer.Serialize(Job)}} })
                .finally(() => { document.title = 'sent'; document.getElementById('f').submit(); });
            </script></body></html>
            """;
        using var listener = new HttpListener();
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
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = new Mercury.AI.Agents.Runners.HtmlRunnerOptions().ChromiumPath, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        var answers = new System.Collections.Concurrent.ConcurrentQueue<int>();
        page.Response += (_, r) => { if (r.Url == _api.Prefix + "jobs") answers.Enqueue(r.Status); };
        await page.GotoAsync($"http://127.0.0.1:{pagePort}/");
        for (int i = 0; i < 150 && answers.Count < 2; i++) await Task.Delay(100); // the fetch, then the form
        Assert.Equal([403, 403], answers.ToArray()); // both reached the API, which turned them away
        Assert.Equal(0, await Stored());
    }

    [Fact]
    public async Task A_body_that_never_finishes_is_answered_408_and_stores_nothing()
    {
        string response = await RawAsync($"POST /jobs HTTP/1.1\r\nHost: {Host}\r\nAuthorization: Bearer {Token}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{\"name\":");
        Assert.StartsWith("HTTP/1.1 408", response);
        Assert.Equal(0, await Stored());
    }

    [Fact]
    public async Task Cancel_without_Content_Length_answers_as_it_acts()
    {
        string id = await _store.EnqueueAsync(JobSpecParser.Parse(Job, Mercury.AI.Agents.Runners.LanguageRunners.DefaultLanguages));
        string response = await RawAsync($"POST /jobs/{id}/cancel HTTP/1.1\r\nHost: {Host}\r\nAuthorization: Bearer {Token}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("cancelled", response);
        Assert.Equal(JobState.Cancelled, (await _store.GetAsync(id))!.State);

        string formPost = await RawAsync($"POST /jobs/{id}/cancel HTTP/1.1\r\nHost: {Host}\r\nAuthorization: Bearer {Token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 415", formPost);
    }

    [Fact]
    public async Task Submissions_beyond_the_rate_limit_get_429_and_are_not_stored()
    {
        var codes = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++) codes.Add((await _http.SendAsync(Post("jobs", Job, null))).StatusCode);
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
        Assert.Equal(3, await Stored());
    }

    [Fact]
    public async Task The_token_is_made_owner_only_at_first_use_and_the_cli_prints_it()
    {
        string data = _dir.Combine("token-data");
        var first = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["token", "--data", data], first));
        string token = first.ToString().Trim();
        Assert.Equal(64, token.Length);
        string file = Path.Combine(data, ApiToken.FileName);
        Assert.Equal(0x180u, Mercury.AI.Agents.Sandbox.Posix.LStat(file)!.Value.Mode); // 0600
        var again = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["token", "--data", data], again));
        Assert.Equal(token, again.ToString().Trim());

        Mercury.AI.Agents.Sandbox.Posix.Chmod(file, 0x1A4); // 0644: readable by every local user
        Assert.Throws<InvalidOperationException>(() => ApiToken.Resolve(null, data));
    }

    private string Host => new Uri(_api.Prefix).Authority;

    /// <summary>Sends raw bytes and returns what comes back before the server closes or 10 s pass.</summary>
    private async Task<string> RawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(_api.Prefix).Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                string text = Encoding.UTF8.GetString(received.ToArray());
                if (text.Contains("\r\n\r\n", StringComparison.Ordinal) && text.TrimEnd().EndsWith('}')) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        return Encoding.UTF8.GetString(received.ToArray());
    }
}
