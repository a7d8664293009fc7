using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;

namespace Mercury.AI.Agents.Tests.Storage;

public sealed class SqliteJobStoreTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-store");
    private readonly SqliteJobStore _store;

    public SqliteJobStoreTests() => _store = new SqliteJobStore(_dir.Combine("jobs.db"));

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private static IterationRecord Iteration(int number) => new()
    {
        Number = number, Attempt = 0, Prompt = "p", Reply = "r", Code = "c", Passed = false, TestsPassed = 0, TestsTotal = 1,
        Feedback = "f", OutputTokens = 3, Duration = TimeSpan.FromMilliseconds(5),
    };

    [Fact]
    public async Task A_claimed_job_has_one_holder_until_its_lease_expires()
    {
        string id = await _store.EnqueueAsync(AgentLoopTests.AddJob());
        var first = await _store.TryFetchAsync("a", TimeSpan.FromMilliseconds(300));
        Assert.NotNull(first);
        Assert.Equal(id, first.Job.Id);
        Assert.Null(await _store.TryFetchAsync("b", TimeSpan.FromSeconds(30)));

        await Task.Delay(400); // holder a stalls past its lease
        var second = await _store.TryFetchAsync("b", TimeSpan.FromSeconds(30));
        Assert.NotNull(second);
        Assert.Equal(2, second.Job.Claims);

        // The stale holder can no longer write anything.
        await Assert.ThrowsAsync<LeaseLostException>(() => first.AppendIterationAsync(Iteration(1)));
        Assert.False((await first.HeartbeatAsync()).LeaseHeld);
        await Assert.ThrowsAsync<LeaseLostException>(() => first.CompleteAsync(JobState.Succeeded, "x", null));

        await second.AppendIterationAsync(Iteration(1));
        await second.CompleteAsync(JobState.Failed, "budget", 1);
        var job = await _store.GetAsync(id);
        Assert.Equal(JobState.Failed, job!.State);
        Assert.Single(await _store.GetIterationsAsync(id));
    }

    [Fact]
    public async Task Concurrent_fetches_never_hand_out_the_same_job()
    {
        for (int i = 0; i < 10; i++) await _store.EnqueueAsync(AgentLoopTests.AddJob());
        var claimed = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => _store.TryFetchAsync($"w{i}", TimeSpan.FromMinutes(1)))));
        var ids = claimed.Where(f => f is not null).Select(f => f!.Job.Id).ToList();
        Assert.Equal(10, ids.Count);
        Assert.Equal(10, ids.Distinct().Count());
    }

    [Fact]
    public async Task Cancelling_a_queued_job_ends_it_before_it_starts()
    {
        string id = await _store.EnqueueAsync(AgentLoopTests.AddJob());
        Assert.Equal(CancelResult.Cancelled, await _store.CancelAsync(id));
        Assert.Null(await _store.TryFetchAsync("w", TimeSpan.FromMinutes(1)));
        Assert.Equal(JobState.Cancelled, (await _store.GetAsync(id))!.State);
        Assert.Equal(CancelResult.AlreadyFinished, await _store.CancelAsync(id));
        Assert.Equal(CancelResult.NotFound, await _store.CancelAsync("j-nope"));
    }

    [Fact]
    public async Task Requeued_job_keeps_its_iterations_and_is_claimed_again()
    {
        string id = await _store.EnqueueAsync(AgentLoopTests.AddJob());
        var fetched = (await _store.TryFetchAsync("w", TimeSpan.FromMinutes(1)))!;
        await fetched.AppendIterationAsync(Iteration(1));
        await fetched.RequeueAsync();
        Assert.Equal(JobState.Queued, (await _store.GetAsync(id))!.State);
        var again = await _store.TryFetchAsync("w2", TimeSpan.FromMinutes(1));
        Assert.Equal(id, again!.Job.Id);
        Assert.Single(await _store.GetIterationsAsync(id));
    }

    [Fact]
    public async Task The_spec_round_trips_through_the_store()
    {
        var spec = AgentLoopTests.AddJob();
        string id = await _store.EnqueueAsync(spec);
        var stored = (await _store.GetAsync(id))!.Spec;
        Assert.Equal(spec.Instruction, stored.Instruction);
        Assert.Equal(spec.Tests, stored.Tests);
        Assert.Equal(spec.HiddenTests, stored.HiddenTests);
        Assert.Equal(spec.Budget, stored.Budget);
    }
}
