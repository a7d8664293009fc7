using System.Text.Json;
using System.Text.RegularExpressions;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.PostgreSql;
using Mercury.AI.Agents.Tests.Agent;
using Mercury.AI.Agents.Tests.Host;

namespace Mercury.AI.Agents.Tests.Postgres;

/// <summary>
/// Real host processes (mercury-agents serve) sharing one PostgreSQL database, on a scripted model (two wrong answers,
/// then the right one: three iterations per job), with faults injected: kill -9, SIGSTOP past the lease, a database
/// restart. The checks are on what the store ends up holding, never on timings.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiHostFaultTests(PostgresFixture postgres) : IDisposable
{
    private readonly TempFolder _dir = new("mercury-fault");

    public void Dispose() => _dir.Dispose();

    private string Replay(int delayMs)
    {
        string path = _dir.Combine("replay.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            delayMs,
            replies = new[] { AgentLoopTests.Wrong, AgentLoopTests.Wrong, AgentLoopTests.Right }.Select(ScriptedChatClient.Python),
        }));
        return path;
    }

    private HostProcess StartHost(string store, string replay, string name) => HostProcess.Start(
        "serve", "--store", store, "--data", _dir.Combine(name), "--chat", "replay:" + replay, "--lease-seconds", "3",
        "--heartbeat-seconds", "1", "--concurrency", "2", "--port", HostProcess.FreePort().ToString());

    [Fact]
    public async Task Three_hosts_with_one_killed_and_one_frozen_past_its_lease_complete_every_job_exactly_once()
    {
        string database = await postgres.CreateDatabaseAsync();
        await using var store = await PostgresJobStore.OpenAsync(new PostgresJobStoreOptions { ConnectionString = database });
        var ids = new List<string>();
        for (int i = 0; i < 30; i++) ids.Add(await store.EnqueueAsync(AgentLoopTests.AddJob()));
        string replay = Replay(delayMs: 600);
        using var a = StartHost(database, replay, "a");
        using var b = StartHost(database, replay, "b");
        using var c = StartHost(database, replay, "c");
        HostProcess[] hosts = [a, b, c];

        // kill -9 host a while it holds a job mid-iteration (at least one iteration stored, the next one in flight).
        string killedJob = await Until(() => HeldWithIterationsAsync(store, a), hosts);
        a.KillHard();

        // Freeze host b while it holds a job, until another host has taken that job over, then let b carry on.
        string frozenJob = await Until(() => HeldWithIterationsAsync(store, b), [b, c]);
        b.Pause();
        var frozenClaim = (await store.GetAsync(frozenJob))!.Claims;
        int storedBeforeFreeze = (await store.GetIterationsAsync(frozenJob)).Count;
        await Until(async () => (await store.GetAsync(frozenJob))!.Claims > frozenClaim ? "taken over" : null, [c]);
        b.Resume();

        await Until(async () => (await store.ListAsync()).All(j => j.State.IsFinal()) ? "all final" : null, [b, c], seconds: 300);
        Assert.True(b.Terminate(TimeSpan.FromSeconds(30)) && c.Terminate(TimeSpan.FromSeconds(30)), "graceful stop");

        string logs = a.Output + b.Output + c.Output;
        foreach (string id in ids)
        {
            var job = (await store.GetAsync(id))!;
            Assert.True(job.State == JobState.Succeeded, $"{id}: {job.State} {job.Summary}");
            var iterations = await store.GetIterationsAsync(id);
            Assert.Equal([1, 2, 3], iterations.Select(i => i.Number)); // nothing lost, nothing duplicated
            Assert.Equal(iterations.Select(i => i.Claim).Order(), iterations.Select(i => i.Claim)); // only ever the newer claim wrote on
            Assert.True(iterations[^1].Claim == job.Claims, $"{id}: the completing claim wrote the last iteration");
            Assert.Single(Regex.Matches(logs, $@"Job {id} (succeeded|failed)")); // exactly one completion record
        }
        Assert.True((await store.GetAsync(killedJob))!.Claims >= 2, "the killed host's job was resumed by another host");
        // What b had stored before it froze stays; everything after the takeover was written by the new claim only.
        Assert.All((await store.GetIterationsAsync(frozenJob)).Skip(storedBeforeFreeze), i => Assert.True(i.Claim > frozenClaim));
        Assert.Matches($"(lease on job {frozenJob} was lost|Lost the lease on job {frozenJob})", b.Output); // b was fenced off

        // status: the survivors unregistered at their graceful stop; the killed host is listed as silent.
        var output = new StringWriter();
        Assert.Equal(0, await Mercury.AI.Agents.Host.Cli.RunAsync(["status", "--store", database, "--lease-seconds", "3"], output));
        Assert.Contains(a.WorkerId, output.ToString());
        Assert.Contains("silent", output.ToString());
        Assert.DoesNotContain(c.WorkerId, output.ToString());
        Assert.DoesNotContain(b.WorkerId, output.ToString());
        Assert.Contains("succeeded 30", output.ToString());
    }

    [Fact]
    public async Task Hosts_reconnect_after_a_database_restart_and_finish_every_job()
    {
        await using var cluster = await PostgresCluster.StartAsync(); // its own server: this test restarts it
        string database = await cluster.CreateDatabaseAsync("restart");
        await using var store = await PostgresJobStore.OpenAsync(new PostgresJobStoreOptions { ConnectionString = database });
        var ids = new List<string>();
        for (int i = 0; i < 12; i++) ids.Add(await store.EnqueueAsync(AgentLoopTests.AddJob()));
        string replay = Replay(delayMs: 300);
        using var a = StartHost(database, replay, "a");
        using var b = StartHost(database, replay, "b");

        await Until(async () => (await store.ListAsync()).Count(j => j.State == JobState.Succeeded) >= 2 ? "some done" : null, [a, b]);
        await cluster.StopAsync(); // fast shutdown: every session is cut, as in a restart or failover
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.StartAgainAsync();

        await Until(async () => (await store.ListAsync()).All(j => j.State.IsFinal()) ? "all final" : null, [a, b], seconds: 240);
        foreach (string id in ids)
        {
            var job = (await store.GetAsync(id))!;
            Assert.True(job.State == JobState.Succeeded, $"{id}: {job.State} {job.Summary}\n{a.Output}\n{b.Output}");
            Assert.Equal([1, 2, 3], (await store.GetIterationsAsync(id)).Select(i => i.Number));
        }
        Assert.Contains("PostgreSQL:", a.Output + b.Output); // the retries were exercised, not bypassed
    }

    /// <summary>A job that <paramref name="host"/> holds under a live lease with at least one stored iteration.</summary>
    private static async Task<string?> HeldWithIterationsAsync(PostgresJobStore store, HostProcess host)
    {
        foreach (var job in await store.ListAsync(100))
            if (job.State == JobState.Running && job.LeaseOwner == host.WorkerId
                && (await store.GetIterationsAsync(job.Id)).Count is >= 1 and < 3)
                return job.Id;
        return null;
    }

    private static async Task<T> Until<T>(Func<Task<T?>> probe, HostProcess[] watched, int seconds = 120) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value) return value;
            if (watched.FirstOrDefault(h => h.HasExited) is { } dead) throw new InvalidOperationException("a host exited:\n" + dead.Output);
            await Task.Delay(100);
        }
        throw new TimeoutException("timed out; host output:\n" + string.Join("\n-----\n", watched.Select(h => h.Output)));
    }
}
