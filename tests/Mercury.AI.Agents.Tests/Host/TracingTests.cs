using System.Collections.Concurrent;
using System.Text;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>
/// OpenTelemetry across processes: a host and a mercury-server, both exporting over OTLP/HTTP to a loopback collector,
/// put their spans of one model call into one trace (the host's HttpClient sends traceparent; the server continues it).
/// </summary>
[Collection(Postgres.PostgresCollection.Name)]
public sealed class TracingTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-trace");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    [Fact]
    public async Task A_job_trace_continues_from_the_host_into_the_server_and_metrics_are_exported()
    {
        var exports = new ConcurrentBag<(string Path, byte[] Body)>();
        await using var collector = new LoopbackListener(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            exports.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
        });
        var otlp = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{collector.Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };
        using var http = new HttpClient();
        int port = HostProcess.FreePort();
        using var server = HostProcess.StartServer(port, otlp);
        await RemoteModelTests.WaitReadyAsync(http, server, port);

        string data = _dir.Combine("data");
        var store = new SqliteJobStore(Path.Combine(data, "jobs.db"));
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob(new JobBudget { MaxIterations = 1 }));
        using var host = HostProcess.Start(otlp, "serve", "--data", data, "--port", HostProcess.FreePort().ToString(), "--chat", $"openai:http://127.0.0.1:{port}/v1");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!(await store.GetAsync(id))!.State.IsFinal())
        {
            if (DateTime.UtcNow > deadline || host.HasExited) throw new TimeoutException(host.Output);
            await Task.Delay(100);
        }
        Assert.True(host.Terminate(TimeSpan.FromSeconds(30)) && server.Terminate(TimeSpan.FromSeconds(30)), "graceful stop flushes the exporters");

        var spans = exports.Where(e => e.Path == "/v1/traces").ToList();
        var hostTraces = spans.Where(e => Contains(e.Body, "mercury-agents")).SelectMany(e => TraceIds(e.Body)).ToHashSet();
        var serverTraces = spans.Where(e => Contains(e.Body, "mercury-server")).SelectMany(e => TraceIds(e.Body)).ToHashSet();
        Assert.NotEmpty(hostTraces);
        Assert.True(hostTraces.Overlaps(serverTraces), $"no trace shared by host ({hostTraces.Count}) and server ({serverTraces.Count})");
        foreach (string metric in new[] { "mercury.agents.jobs.completed", "mercury.agents.jobs.running", "mercury.agents.store.jobs",
                     "mercury.agents.iteration.duration", "mercury.agents.sandbox.duration", "mercury.agents.claim.duration" })
            Assert.True(exports.Any(e => e.Path == "/v1/metrics" && Contains(e.Body, metric)), $"{metric} was not exported");
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>Span.trace_id in OTLP protobuf: field 1, 16 bytes (0x0A 0x10 ...). Random ids are not all printable text,
    /// which tells them from 16-character strings in field 1.</summary>
    private static IEnumerable<string> TraceIds(byte[] body)
    {
        for (int i = 0; i + 18 <= body.Length; i++)
            if (body[i] == 0x0A && body[i + 1] == 0x10 && !body.AsSpan(i + 2, 16).ToArray().All(b => b is >= 0x20 and < 0x7F))
                yield return Convert.ToHexString(body, i + 2, 16);
    }
}
