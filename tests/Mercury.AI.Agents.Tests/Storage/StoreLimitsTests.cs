using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Tests.Storage;

/// <summary>
/// Issue 14, items 4, 8 and 9, as the SQLite host sees them: one job per run, the database's size under large output,
/// retention with artifacts. The store-level bounds (poison jobs, fetching by id, the queue and output caps) are in the
/// contract suite (<see cref="JobStoreContractTests"/>), run on both stores.
/// </summary>
public sealed class StoreLimitsTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-limits");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private SqliteJobStore Store(JobStoreLimits? limits = null, TimeProvider? time = null) => new(_dir.Combine("jobs.db"), time, limits);

    private static IterationRecord Iteration(int number, int chars) => new()
    {
        Number = number, Attempt = 0, Prompt = new string('p', chars), Reply = new string('r', chars), Code = new string('c', chars),
        Passed = false, TestsPassed = 0, TestsTotal = 1, Feedback = new string('f', chars), TestOutput = new string('o', chars),
        OutputTokens = 3, Duration = TimeSpan.FromMilliseconds(5),
    };

    [Fact]
    public async Task Run_executes_only_the_job_it_submitted()
    {
        string tasks = Runners.SampleSolutionTests.SamplesFolder();
        var store = Store();
        string other = await store.EnqueueAsync(AgentLoopTests.AddJob()); // someone else's, queued first in the same folder
        var output = new StringWriter();
        int code = await Mercury.AI.Agents.Host.Cli.RunAsync(["run", Path.Combine(tasks, "python-word-frequencies.json"),
            "--chat", "replay:" + Path.Combine(tasks, "replay", "python-word-frequencies.replay.json"), "--data", _dir.Path], output);
        Assert.True(code == 0, output.ToString());
        var otherJob = (await store.GetAsync(other))!;
        Assert.Equal(JobState.Queued, otherJob.State);
        Assert.Equal(0, otherJob.Claims);
        Assert.Empty(await store.GetIterationsAsync(other));
    }

    [Fact]
    public async Task Stored_output_is_capped_per_field_and_per_job_so_one_large_request_cannot_grow_the_database_unbounded()
    {
        var limits = new JobStoreLimits();
        var store = Store(limits);
        // About the request of the issue: 869 KiB of tests in the job, repeated in every first prompt.
        var big = AgentLoopTests.AddJob() with { Tests = [.. Enumerable.Range(0, 7).Select(i => new TestFile($"t{i}.py", new string('#', 127_000)))] };
        string id = await store.EnqueueAsync(big);
        var fetched = (await store.TryFetchAsync("w", TimeSpan.FromMinutes(1)))!;
        for (int n = 1; n <= 20; n++) await fetched.AppendIterationAsync(Iteration(n, 900_000));

        var stored = await store.GetIterationsAsync(id);
        Assert.All(stored, it => Assert.True(it.Prompt.Length <= limits.MaxIterationFieldChars && it.TestOutput.Length <= limits.MaxIterationFieldChars));
        long total = stored.Sum(JobStoreLimits.StoredChars);
        Assert.True(total <= limits.MaxJobOutputChars + 20 * 5L * limits.FieldCharsOverJobBudget, $"{total} characters stored");
        Assert.Contains("characters not stored", stored[0].Prompt);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        long bytes = new FileInfo(store.DatabasePath).Length + (File.Exists(store.DatabasePath + "-wal") ? new FileInfo(store.DatabasePath + "-wal").Length : 0);
        Assert.True(bytes < 12L << 20, $"jobs.db (+ WAL) is {bytes >> 20} MiB"); // 20 × 4.5 MB of output would be 90 MB
    }

    [Fact]
    public async Task Retention_deletes_old_and_surplus_finished_jobs_with_their_artifacts_and_nothing_else()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(-40));
        var store = Store(time: clock);
        var options = new AgentHostOptions { DataDirectory = _dir.Path, RetainFinishedJobs = TimeSpan.FromDays(30), MaxFinishedJobs = 2 };
        async Task<string> Finished(DateTimeOffset at)
        {
            clock.Now = at;
            string id = await store.EnqueueAsync(AgentLoopTests.AddJob());
            var job = (await store.TryFetchAsync("w", TimeSpan.FromMinutes(1), id))!;
            await job.AppendIterationAsync(Iteration(1, 10));
            await job.CompleteAsync(JobState.Failed, "budget", 1);
            Directory.CreateDirectory(options.ArtifactsDirectory(id));
            return id;
        }
        string ancient = await Finished(DateTimeOffset.UtcNow.AddDays(-40));
        string recent1 = await Finished(DateTimeOffset.UtcNow.AddHours(-3));
        string recent2 = await Finished(DateTimeOffset.UtcNow.AddHours(-2));
        string recent3 = await Finished(DateTimeOffset.UtcNow.AddHours(-1));
        clock.Now = DateTimeOffset.UtcNow.AddDays(-50);
        string queued = await store.EnqueueAsync(AgentLoopTests.AddJob()); // old, but not finished: kept

        var deleted = await new RetentionService(store, options, NullLogger<RetentionService>.Instance).PurgeOnceAsync();

        Assert.Equal(new[] { ancient, recent1 }.Order(), deleted.Order());
        Assert.Null(await store.GetAsync(ancient));
        Assert.Empty(await store.GetIterationsAsync(ancient));
        Assert.False(Directory.Exists(options.ArtifactsDirectory(ancient)));
        Assert.False(Directory.Exists(options.ArtifactsDirectory(recent1)));
        foreach (var kept in new[] { recent2, recent3, queued }) Assert.NotNull(await store.GetAsync(kept));
        Assert.True(Directory.Exists(options.ArtifactsDirectory(recent3)));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
