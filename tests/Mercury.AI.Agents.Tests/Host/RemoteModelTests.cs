using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>
/// A host whose model is two real mercury-server processes (the embedded model on the CPU) behind one base-URL list:
/// one server is killed mid-run and the jobs finish on the other.
/// </summary>
[Collection(Postgres.PostgresCollection.Name)]
public sealed class RemoteModelTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-remote");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private static async Task<JsonNode> ReadyAsync(HttpClient http, int port) =>
        JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/health/ready"))!;

    internal static async Task WaitReadyAsync(HttpClient http, HostProcess server, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try { if ((await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
            if (server.HasExited) throw new InvalidOperationException("mercury-server exited:\n" + server.Output);
            await Task.Delay(200);
        }
        throw new TimeoutException("mercury-server did not get ready:\n" + server.Output);
    }

    [Fact]
    public async Task Jobs_finish_on_the_second_server_when_the_first_is_killed_mid_run()
    {
        using var http = new HttpClient();
        int port1 = HostProcess.FreePort(), port2 = HostProcess.FreePort();
        using var server1 = HostProcess.StartServer(port1);
        using var server2 = HostProcess.StartServer(port2);
        await WaitReadyAsync(http, server1, port1);
        await WaitReadyAsync(http, server2, port2);

        string data = _dir.Combine("data");
        var store = new SqliteJobStore(Path.Combine(data, "jobs.db"));
        var ids = new List<string>();
        for (int i = 0; i < 4; i++) ids.Add(await store.EnqueueAsync(AgentLoopTests.AddJob(new JobBudget { MaxIterations = 2 })));
        using var host = HostProcess.Start("serve", "--data", data, "--concurrency", "2", "--port", HostProcess.FreePort().ToString(),
            "--chat", $"openai:http://127.0.0.1:{port1}/v1,http://127.0.0.1:{port2}/v1");

        // Both servers take turns; kill the first once it has answered a few requests.
        var deadline = DateTime.UtcNow.AddSeconds(240);
        while ((int)(await ReadyAsync(http, port1))["served"]! < 2 || (int)(await ReadyAsync(http, port2))["served"]! < 1)
        {
            if (DateTime.UtcNow > deadline || host.HasExited) throw new TimeoutException("the servers were not used in turn:\n" + host.Output);
            await Task.Delay(100);
        }
        server1.KillHard();
        int servedBySecondBefore = (int)(await ReadyAsync(http, port2))["served"]!;

        while (!(await store.ListAsync()).All(j => j.State.IsFinal()))
        {
            if (DateTime.UtcNow > deadline.AddSeconds(240) || host.HasExited)
                throw new TimeoutException("jobs did not finish: " + string.Join(", ", (await store.ListAsync()).Select(j => $"{j.Id} {j.State}"))
                    + "\n--- host ---\n" + host.Output + "\n--- server 2 ---\n" + server2.Output);
            await Task.Delay(200);
        }
        foreach (string id in ids)
        {
            var job = (await store.GetAsync(id))!;
            Assert.True(job.State is JobState.Succeeded or JobState.Failed, $"{id}: {job.State} {job.Summary}\n{host.Output}");
            Assert.NotEmpty(await store.GetIterationsAsync(id));
        }
        Assert.True((int)(await ReadyAsync(http, port2))["served"]! > servedBySecondBefore, "the second server took over");
        Assert.Contains($"127.0.0.1:{port1}/v1/ is down", host.Output);
        Assert.Contains("Compact", host.Output); // the prompt style follows the served model: the embedded one
    }
}
