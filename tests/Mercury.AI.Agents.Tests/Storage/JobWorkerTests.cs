using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Tests.Storage;

/// <summary>The worker service in process: concurrency limit, cancellation, graceful shutdown.</summary>
public sealed class JobWorkerTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-worker");
    private readonly SqliteJobStore _store;
    private static readonly LanguageRunners Runners = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()));

    public JobWorkerTests() => _store = new SqliteJobStore(_dir.Combine("jobs.db"));

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private JobProcessingService Service(ScriptedChatClient model, int concurrency)
    {
        var options = new AgentHostOptions
        {
            DataDirectory = _dir.Path, MaxConcurrentJobs = concurrency, PollInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatInterval = TimeSpan.FromMilliseconds(200), LeaseDuration = TimeSpan.FromSeconds(10),
        };
        var worker = new JobWorker(_store, new AgentLoop(new AgentCoder(model), Runners), options);
        return new JobProcessingService(worker, options, new AgentHostHealth(), NullLogger<JobProcessingService>.Instance);
    }

    private async Task<JobRecord> WaitFor(string id, Func<JobRecord, bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var job = (await _store.GetAsync(id))!;
            if (condition(job)) return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not reach the expected state: {(await _store.GetAsync(id))!.State}");
    }

    [Fact]
    public async Task Runs_N_jobs_at_once_and_no_more()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Python(AgentLoopTests.Right)) { Delay = TimeSpan.FromMilliseconds(700) };
        var ids = new List<string>();
        for (int i = 0; i < 5; i++) ids.Add(await _store.EnqueueAsync(AgentLoopTests.AddJob()));
        var service = Service(model, concurrency: 2);
        await service.StartAsync(CancellationToken.None);
        foreach (var id in ids) await WaitFor(id, j => j.State.IsFinal());
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(2, model.MaxInFlight);
        foreach (var id in ids) Assert.Equal(JobState.Succeeded, (await _store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Cancelling_a_running_job_kills_its_sandbox_and_keeps_its_iterations()
    {
        // The second candidate sleeps inside the test run; the cancel must kill that sandbox, not wait a minute.
        var model = new ScriptedChatClient(
            ScriptedChatClient.Python(AgentLoopTests.Wrong),
            ScriptedChatClient.Python("import time\ntime.sleep(120)\ndef add(a, b):\n    return a + b"));
        string id = await _store.EnqueueAsync(AgentLoopTests.AddJob() with { Budget = new JobBudget { MaxIterations = 5, WallClockSeconds = 600 } });
        var service = Service(model, 1);
        await service.StartAsync(CancellationToken.None);
        await WaitFor(id, _ => model.Calls >= 2);
        await Task.Delay(500); // inside the sleeping test run
        var cancelledAt = DateTime.UtcNow;
        Assert.Equal(CancelResult.CancelRequested, await _store.CancelAsync(id));
        var job = await WaitFor(id, j => j.State.IsFinal(), seconds: 30);
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(JobState.Cancelled, job.State);
        Assert.True(DateTime.UtcNow - cancelledAt < TimeSpan.FromSeconds(10));
        Assert.Single(await _store.GetIterationsAsync(id)); // the first, finished iteration is kept
    }

    [Fact]
    public async Task Graceful_shutdown_requeues_the_running_job_and_a_new_host_finishes_it()
    {
        var slow = new ScriptedChatClient(ScriptedChatClient.Python(AgentLoopTests.Wrong)) { Delay = TimeSpan.FromMilliseconds(300) };
        string id = await _store.EnqueueAsync(AgentLoopTests.AddJob() with { Budget = new JobBudget { MaxIterations = 10, RefinementsPerAttempt = 10 } });
        var first = Service(slow, 1);
        await first.StartAsync(CancellationToken.None);
        await WaitFor(id, _ => _store.GetIterationsAsync(id).Result.Count >= 2);
        await first.StopAsync(CancellationToken.None);
        var afterStop = await _store.GetAsync(id);
        Assert.Equal(JobState.Queued, afterStop!.State);
        int kept = (await _store.GetIterationsAsync(id)).Count;

        var fixer = new ScriptedChatClient(ScriptedChatClient.Python(AgentLoopTests.Right));
        var second = Service(fixer, 1);
        await second.StartAsync(CancellationToken.None);
        var job = await WaitFor(id, j => j.State.IsFinal());
        await second.StopAsync(CancellationToken.None);

        Assert.Equal(JobState.Succeeded, job.State);
        var iterations = await _store.GetIterationsAsync(id);
        Assert.Equal(kept + 1, iterations.Count);
        Assert.Equal(Enumerable.Range(1, kept + 1), iterations.Select(i => i.Number));
        Assert.Equal(2, job.Claims);
    }

    [Fact]
    public async Task A_model_that_throws_ends_the_job_in_error_with_the_reason()
    {
        var broken = new ThrowingChatClient();
        string id = await _store.EnqueueAsync(AgentLoopTests.AddJob());
        var options = new AgentHostOptions { DataDirectory = _dir.Path, PollInterval = TimeSpan.FromMilliseconds(100) };
        var worker = new JobWorker(_store, new AgentLoop(new AgentCoder(broken), Runners), options);
        Assert.True(await worker.ProcessNextAsync(CancellationToken.None));
        var job = (await _store.GetAsync(id))!;
        Assert.Equal(JobState.Error, job.State);
        Assert.Contains("model is down", job.Summary);
    }

    private sealed class ThrowingChatClient : Microsoft.Extensions.AI.IChatClient
    {
        public Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("model is down");
        public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("model is down");
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
