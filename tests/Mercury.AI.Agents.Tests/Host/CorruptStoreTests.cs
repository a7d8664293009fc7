using System.Net;
using Mercury.AI.Agents.Host;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>Issue 14, item 15: a damaged jobs.db gets a clear message and a way out, and health says so.</summary>
public sealed class CorruptStoreTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-corrupt");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Commands => new() { "list", "show j-x", "logs j-x", "cancel j-x", "submit JOB", "run JOB", "serve" };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_says_the_database_is_damaged_and_how_to_recover(string command)
    {
        string data = _dir.Combine("data");
        Directory.CreateDirectory(data);
        File.WriteAllBytes(Path.Combine(data, "jobs.db"), Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 % 251)).ToArray());
        string job = Path.Combine(Runners.SampleSolutionTests.SamplesFolder(), "python-word-frequencies.json");
        string replay = Path.Combine(Runners.SampleSolutionTests.SamplesFolder(), "replay", "python-word-frequencies.replay.json");
        var args = command.Replace("JOB", job).Split(' ').Concat(["--data", data, "--chat", "replay:" + replay, "--port", HostProcess.FreePort().ToString()]).ToArray();

        using var host = HostProcess.Start(args);
        int? code = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 5, $"exit {code}\n{host.Output}");
        Assert.Contains("is damaged", host.Output);
        Assert.Contains("move it", host.Output);
        Assert.DoesNotContain("   at ", host.Output); // no stack trace
    }

    [Fact]
    public async Task A_store_that_breaks_while_serving_is_reported_by_health_and_retried_with_growing_pauses()
    {
        var store = new BrokenStore();
        var health = new AgentHostHealth();
        // One worker loop, so the count below is one loop's polls (two loops would sit at the bound's edge).
        var options = new AgentHostOptions { DataDirectory = _dir.Path, PollInterval = TimeSpan.FromMilliseconds(50), MaxConcurrentJobs = 1 };
        var runners = Mercury.AI.Agents.Runners.LanguageRunners.CreateDefault(Mercury.AI.Agents.Sandbox.SandboxFactory.Create(new()));
        var worker = new JobWorker(store, new Mercury.AI.Agents.Agent.AgentLoop(new Mercury.AI.Agents.Agent.AgentCoder(new ScriptedChatClient()), runners), options);
        var service = new JobProcessingService(worker, options, health, NullLogger<JobProcessingService>.Instance);
        var api = new LoopbackApi(new JobService(store), new LoopbackApiOptions { Port = HostProcess.FreePort(), Token = "health-test-token-0123" },
            health, NullLogger<LoopbackApi>.Instance);
        await api.StartAsync(CancellationToken.None);
        await service.StartAsync(CancellationToken.None);
        try
        {
            await Task.Delay(1500);
            int fetches = store.Fetches;
            Assert.False(health.IsHealthy);
            using var http = new HttpClient { BaseAddress = new Uri(api.Prefix) };
            using var response = await http.GetAsync("health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("is damaged", await response.Content.ReadAsStringAsync());
            // Polling every 50 ms would be ~30 attempts in 1.5 s; the pause doubles instead (~5).
            Assert.InRange(fetches, 1, 10);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
            await api.StopAsync(CancellationToken.None);
            await api.DisposeAsync();
        }
    }

    private sealed class BrokenStore : IJobStore
    {
        private int _fetches;

        public int Fetches => Volatile.Read(ref _fetches);

        private static JobStoreUnavailableException Damaged => new("The job database /x/jobs.db is damaged (file is not a database). To recover: ...");

        public Task<string> EnqueueAsync(JobSpec spec, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _fetches);
            throw Damaged;
        }
        public Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, string jobId, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<IReadOnlyList<JobRecord>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<IReadOnlyList<IterationRecord>> GetIterationsAsync(string id, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<IReadOnlyList<StepRecord>> GetStepsAsync(string id, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<CancelResult> CancelAsync(string id, CancellationToken cancellationToken = default) => throw Damaged;
        public Task<IReadOnlyList<string>> PurgeFinishedAsync(DateTimeOffset finishedBefore, int keepLatest, CancellationToken cancellationToken = default) => throw Damaged;
    }
}
