using System.Diagnostics;
using System.Net;
using System.Text;
using Mercury.AI.Agents.Diagnostics;
using Mercury.AI.Agents.Host.Remote;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>The OpenAI client over an <see cref="EndpointPool"/>, against small loopback endpoints that answer like an
/// OpenAI server (or fail as told): round robin, failover, recovery by probe, trace propagation.</summary>
public sealed class EndpointPoolTests : IAsyncDisposable
{
    private readonly List<FakeEndpoint> _endpoints = [];

    private FakeEndpoint Endpoint()
    {
        var endpoint = new FakeEndpoint();
        _endpoints.Add(endpoint);
        return endpoint;
    }

    private static async Task<string> AskAsync(IChatClient client) =>
        (await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")])).Text;

    [Fact]
    public async Task Requests_alternate_between_endpoints_and_fail_over_on_5xx_429_and_refused_connections()
    {
        var a = Endpoint();
        var b = Endpoint();
        int refusedPort = HostProcess.FreePort(); // nothing listens there
        await using var pool = new EndpointPool([a.BaseUri, b.BaseUri, new Uri($"http://127.0.0.1:{refusedPort}/v1")],
            new EndpointPoolOptions { ProbeInterval = TimeSpan.FromMilliseconds(200) });
        using var client = OpenAIChat.Create(pool, "m");

        for (int i = 0; i < 6; i++) Assert.Equal("ok", await AskAsync(client));
        Assert.Equal((3, 3), (a.Served, b.Served)); // the refused one was tried, marked down, and skipped since
        Assert.False(pool.IsUp(new Uri($"http://127.0.0.1:{refusedPort}/v1")));

        a.FailWith = HttpStatusCode.ServiceUnavailable;
        for (int i = 0; i < 4; i++) Assert.Equal("ok", await AskAsync(client));
        Assert.Equal(7, b.Served);
        Assert.False(pool.IsUp(a.BaseUri));

        a.FailWith = null; // back: the probe (GET /models) readmits it
        await WaitAsync(() => pool.IsUp(a.BaseUri));
        b.FailWith = HttpStatusCode.TooManyRequests;
        Assert.Equal("ok", await AskAsync(client));
        Assert.True(a.Served > 3);
    }

    [Fact]
    public async Task The_model_call_carries_the_job_trace_to_the_server()
    {
        var a = Endpoint();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AgentTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        await using var pool = new EndpointPool([a.BaseUri]);
        using var client = OpenAIChat.Create(pool, "m");
        using (var job = AgentTelemetry.Source.StartActivity("job"))
        {
            await AskAsync(client);
            Assert.StartsWith($"00-{job!.TraceId}-", a.LastTraceParent);
        }
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var e in _endpoints) await e.DisposeAsync();
    }

    /// <summary>A loopback OpenAI-shaped endpoint: /v1/models and /v1/chat/completions answering "ok", or failing as told.</summary>
    private sealed class FakeEndpoint : IAsyncDisposable
    {
        private readonly LoopbackListener _listener;
        private int _served;

        public FakeEndpoint()
        {
            _listener = new LoopbackListener(HandleAsync);
            BaseUri = new Uri($"http://127.0.0.1:{_listener.Port}/v1");
        }

        public Uri BaseUri { get; }

        public HttpStatusCode? FailWith { get; set; }

        public int Served => Volatile.Read(ref _served);

        public string? LastTraceParent { get; private set; }

        private async Task HandleAsync(HttpListenerContext context)
        {
            var response = context.Response;
            string path = context.Request.Url!.AbsolutePath;
            string body = path.EndsWith("/models", StringComparison.Ordinal)
                ? """{"object":"list","data":[{"id":"m","object":"model","created":0,"owned_by":"test"}]}"""
                : """{"id":"c1","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";
            if (FailWith is { } status)
            {
                response.StatusCode = (int)status;
                body = """{"error":{"message":"failing as told","type":"server_error"}}""";
            }
            else if (path.EndsWith("/chat/completions", StringComparison.Ordinal))
            {
                LastTraceParent = context.Request.Headers["traceparent"];
                Interlocked.Increment(ref _served);
            }
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(bytes);
        }

        public ValueTask DisposeAsync() => _listener.DisposeAsync();
    }
}
