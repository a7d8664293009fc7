using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;

namespace Mercury.AI.Agents.Tests.Host;

public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-crash");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    [Fact]
    public async Task Resumes_job_from_last_finished_iteration_after_kill_9()
    {
        // Three wrong answers, then the right one; each model call takes a second, so the job is mid-flight when killed.
        string replay = _dir.Combine("replay.json");
        File.WriteAllText(replay, JsonSerializer.Serialize(new
        {
            delayMs = 1000,
            replies = new[] { AgentLoopTests.Wrong, AgentLoopTests.Wrong, AgentLoopTests.Wrong, AgentLoopTests.Right }.Select(ScriptedChatClient.Python),
        }));
        string data = _dir.Combine("data");
        var store = new SqliteJobStore(Path.Combine(data, "jobs.db"));
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob(new JobBudget { MaxIterations = 8, RefinementsPerAttempt = 6 }));
        string[] args = ["serve", "--data", data, "--chat", "replay:" + replay, "--lease-seconds", "3", "--heartbeat-seconds", "1", "--concurrency", "1"];

        List<IterationRecord> beforeCrash;
        using (var host = HostProcess.Start([.. args, "--port", HostProcess.FreePort().ToString()]))
        {
            beforeCrash = await WaitAsync(async () => await store.GetIterationsAsync(id) is { Count: >= 2 } its ? its.ToList() : null, host);
            host.KillHard();
        }
        var crashed = (await store.GetAsync(id))!;
        Assert.Equal(JobState.Running, crashed.State); // orphaned: nobody acknowledged it
        var leftBehind = Directory.GetDirectories(Path.Combine(data, "work"));
        Assert.NotEmpty(leftBehind); // kill -9: the host could not clean up
        beforeCrash = (await store.GetIterationsAsync(id)).ToList();

        using (var host = HostProcess.Start([.. args, "--port", HostProcess.FreePort().ToString()]))
        {
            var finished = await WaitAsync(async () => await store.GetAsync(id) is { } j && j.State.IsFinal() ? j : null, host);
            Assert.True(finished.State == JobState.Succeeded, $"{finished.State}: {finished.Summary}\n{host.Output}");
            Assert.Equal(2, finished.Claims);
            Assert.All(leftBehind, dir => Assert.False(Directory.Exists(dir), $"{dir} was not swept")); // the new host removed them
        }

        var all = await store.GetIterationsAsync(id);
        Assert.Equal(4, all.Count);
        Assert.Equal([1, 2, 3, 4], all.Select(i => i.Number));
        foreach (var kept in beforeCrash) // the earlier iterations are the very rows written before the crash
            Assert.Equal(kept.CreatedAt, all[kept.Number - 1].CreatedAt);
        Assert.True(all[^1].Passed);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, HostProcess host, int seconds = 90) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value) return value;
            if (host.HasExited) throw new InvalidOperationException("host exited:\n" + host.Output);
            await Task.Delay(100);
        }
        throw new TimeoutException("timed out; host output:\n" + host.Output);
    }
}
