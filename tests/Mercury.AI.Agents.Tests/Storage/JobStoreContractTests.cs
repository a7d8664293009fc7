using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;

namespace Mercury.AI.Agents.Tests.Storage;

/// <summary>
/// The <see cref="IJobStore"/> + <see cref="IHostRegistry"/> contract, run against every store (SQLite, PostgreSQL):
/// claim, lease, heartbeat, expiry, resume, fencing, cancellation, retention, concurrency, and the bounds of
/// <see cref="JobStoreLimits"/> (poison jobs, fetching one job by id, the queue cap, the output caps). Leases here are
/// short real times (the PostgreSQL store uses the database clock); the waits are margins, never asserted durations.
/// </summary>
public abstract partial class JobStoreContractTests : IAsyncLifetime
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3), Long = TimeSpan.FromMinutes(5);

    protected IJobStore Store { get; private set; } = null!;

    private IHostRegistry Hosts => (IHostRegistry)Store;

    /// <summary>A new, empty store enforcing <paramref name="limits"/>; the suite disposes it.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync(JobStoreLimits limits);

    private readonly List<IJobStore> _stores = [];

    private async Task<IJobStore> StoreWithAsync(JobStoreLimits limits)
    {
        var store = await CreateStoreAsync(limits);
        _stores.Add(store);
        return store;
    }

    public async Task InitializeAsync() => Store = await StoreWithAsync(JobStoreLimits.Default);

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
            if (store is IAsyncDisposable d) await d.DisposeAsync();
    }

    internal static IterationRecord Iteration(int number, string reply = "r") => new()
    {
        Number = number, Attempt = 0, Prompt = "p", Reply = reply, Code = "c", Passed = false, TestsPassed = 0, TestsTotal = 1,
        Feedback = "f", OutputTokens = 3, Duration = TimeSpan.FromMilliseconds(5),
    };

    private async Task<IFetchedJob> ClaimAsync(string worker, TimeSpan lease) =>
        await Store.TryFetchAsync(worker, lease) ?? throw new Xunit.Sdk.XunitException("nothing to claim");

    [Fact]
    public async Task A_claimed_job_has_one_holder_until_its_lease_expires_then_a_new_generation_takes_it()
    {
        string id = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        var first = await ClaimAsync("a", Short);
        Assert.Equal((id, 1, 1), (first.Job.Id, first.Generation, first.Job.Claims));
        Assert.Equal(JobState.Running, first.Job.State);
        Assert.Null(await Store.TryFetchAsync("b", Long));

        await Task.Delay(Short + TimeSpan.FromMilliseconds(800)); // holder a stalls past its lease
        var second = await ClaimAsync("b", Long);
        Assert.Equal((id, 2), (second.Job.Id, second.Generation));
        Assert.Null(await Store.TryFetchAsync("c", Long));
    }

    [Fact]
    public async Task A_taken_over_holder_is_fenced_off_and_its_late_iteration_is_rejected_not_merged()
    {
        string id = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        var stale = await ClaimAsync("a", Short);
        await stale.AppendIterationAsync(Iteration(1, "from a"));
        await Task.Delay(Short + TimeSpan.FromMilliseconds(800));
        var current = await ClaimAsync("b", Long);

        // The stale holder resumes (as after SIGCONT) and tries to store its in-flight iteration 2: refused.
        await Assert.ThrowsAsync<LeaseLostException>(() => stale.AppendIterationAsync(Iteration(2, "late, from a")));
        Assert.False((await stale.HeartbeatAsync()).LeaseHeld);
        await Assert.ThrowsAsync<LeaseLostException>(() => stale.CompleteAsync(JobState.Succeeded, "x", null));
        await stale.RequeueAsync(); // a no-op, not a takeover
        Assert.Equal(JobState.Running, (await Store.GetAsync(id))!.State);

        // The current holder writes iteration 2 itself and completes, once.
        await current.AppendIterationAsync(Iteration(2, "from b"));
        await current.CompleteAsync(JobState.Failed, "budget", 2);
        var its = await Store.GetIterationsAsync(id);
        Assert.Equal([(1, 1, "from a"), (2, 2, "from b")], its.Select(i => (i.Number, i.Claim, i.Reply)));
        var job = (await Store.GetAsync(id))!;
        Assert.Equal((JobState.Failed, "budget", 2, 2), (job.State, job.Summary, job.BestIteration, job.Claims));
    }

    [Fact]
    public async Task Heartbeats_keep_the_lease_and_report_a_cancel_request()
    {
        string id = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        var held = await ClaimAsync("a", Short);
        for (int i = 0; i < 3; i++)
        {
            await Task.Delay(Short / 2);
            Assert.Equal(new HeartbeatResult(true, false), await held.HeartbeatAsync());
        }
        Assert.Null(await Store.TryFetchAsync("b", Long)); // renewed past the first lease's end

        Assert.Equal(CancelResult.CancelRequested, await Store.CancelAsync(id));
        Assert.Equal(new HeartbeatResult(true, true), await held.HeartbeatAsync());
        await held.CompleteAsync(JobState.Cancelled, "cancelled while running", null);
        Assert.Equal(CancelResult.AlreadyFinished, await Store.CancelAsync(id));
    }

    [Fact]
    public async Task Completion_is_recorded_once_and_a_repeat_by_the_same_claim_changes_nothing()
    {
        string id = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        var held = await ClaimAsync("a", Long);
        await held.CompleteAsync(JobState.Succeeded, "passed", null);
        var finished = (await Store.GetAsync(id))!;
        await held.CompleteAsync(JobState.Succeeded, "passed", null); // a retried acknowledgement
        var again = (await Store.GetAsync(id))!;
        Assert.Equal((finished.State, finished.Summary, finished.FinishedAt, finished.Claims), (again.State, again.Summary, again.FinishedAt, again.Claims));
        await Assert.ThrowsAsync<LeaseLostException>(() => held.CompleteAsync(JobState.Failed, "other", null));
        await Assert.ThrowsAsync<LeaseLostException>(() => held.AppendIterationAsync(Iteration(1)));
        Assert.Null(await Store.TryFetchAsync("b", Long));
    }

    [Fact]
    public async Task Many_concurrent_claimers_never_hold_the_same_job_and_claim_every_job()
    {
        var ids = new List<string>();
        for (int i = 0; i < 24; i++) ids.Add(await Store.EnqueueAsync(AgentLoopTests.AddJob()));
        var claimed = new System.Collections.Concurrent.ConcurrentBag<(string Id, string Worker)>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (await Store.TryFetchAsync($"w{w}", Long) is { } job)
            {
                claimed.Add((job.Job.Id, $"w{w}"));
                await job.CompleteAsync(JobState.Succeeded, "done", null);
            }
        })));
        Assert.Equal(ids.Order(), claimed.Select(c => c.Id).Order());
        Assert.All(await Store.ListAsync(), j => Assert.Equal((JobState.Succeeded, 1), (j.State, j.Claims)));
    }

    [Fact]
    public async Task Cancelling_ends_a_queued_job_at_once_and_an_orphaned_one_at_the_next_claim()
    {
        string queued = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(queued));
        Assert.Equal(JobState.Cancelled, (await Store.GetAsync(queued))!.State);
        Assert.Equal(CancelResult.AlreadyFinished, await Store.CancelAsync(queued));
        Assert.Equal(CancelResult.NotFound, await Store.CancelAsync("j-nope"));
        Assert.Null(await Store.TryFetchAsync("w", Long));

        // A running job is flagged; if its host then dies, the next claim ends it instead of resuming it.
        string orphan = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        _ = await ClaimAsync("dies", Short);
        Assert.Equal(CancelResult.CancelRequested, await Store.CancelAsync(orphan));
        await Task.Delay(Short + TimeSpan.FromMilliseconds(800));
        Assert.Null(await Store.TryFetchAsync("w", Long));
        Assert.Equal(JobState.Cancelled, (await Store.GetAsync(orphan))!.State);
    }

    [Fact]
    public async Task A_requeued_job_keeps_its_iterations_and_resumes_under_the_next_generation()
    {
        string id = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        var first = await ClaimAsync("w", Long);
        await first.AppendIterationAsync(Iteration(1));
        await first.AppendIterationAsync(Iteration(2));
        await first.RequeueAsync();
        Assert.Equal(JobState.Queued, (await Store.GetAsync(id))!.State);
        await Assert.ThrowsAsync<LeaseLostException>(() => first.AppendIterationAsync(Iteration(3)));

        var again = await ClaimAsync("w2", Long);
        Assert.Equal((id, 2), (again.Job.Id, again.Generation));
        await again.AppendIterationAsync(Iteration(3));
        Assert.Equal([(1, 1), (2, 1), (3, 2)], (await Store.GetIterationsAsync(id)).Select(i => (i.Number, i.Claim)));
    }

    [Fact]
    public async Task Retention_deletes_old_or_surplus_finished_jobs_with_their_iterations_and_nothing_else()
    {
        var finished = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            finished.Add(await Store.EnqueueAsync(AgentLoopTests.AddJob()));
            var held = await ClaimAsync("w", Long);
            await held.AppendIterationAsync(Iteration(1));
            await held.CompleteAsync(JobState.Failed, "budget", 1);
            await Task.Delay(30); // distinct finish times
        }
        string running = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        _ = await ClaimAsync("w", Long);
        string queued = await Store.EnqueueAsync(AgentLoopTests.AddJob());

        Assert.Empty(await Store.PurgeFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), keepLatest: 10)); // all recent, few
        Assert.Equal(finished[..2].Order(), (await Store.PurgeFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), keepLatest: 1)).Order()); // beyond the latest one
        Assert.Equal([finished[2]], await Store.PurgeFinishedAsync(DateTimeOffset.UtcNow.AddMinutes(1), keepLatest: 10));
        Assert.Empty(await Store.GetIterationsAsync(finished[0]));
        Assert.Null(await Store.GetAsync(finished[2]));
        Assert.Equal([queued, running], (await Store.ListAsync()).Select(j => j.Id));
    }

    [Fact]
    public async Task The_spec_and_iterations_round_trip_through_the_store()
    {
        var spec = AgentLoopTests.AddJob();
        string id = await Store.EnqueueAsync(spec);
        var stored = (await Store.GetAsync(id))!;
        Assert.Equal((spec.Instruction, spec.Budget, spec.Language), (stored.Spec.Instruction, stored.Spec.Budget, stored.Spec.Language));
        Assert.Equal(spec.Tests, stored.Spec.Tests);
        Assert.Equal(spec.HiddenTests, stored.Spec.HiddenTests);

        var held = await ClaimAsync("w", Long);
        var it = Iteration(1) with { Passed = true, TestsPassed = 1, HiddenPassed = 2, HiddenTotal = 2, TestOutput = "ok ✓", CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123) };
        await held.AppendIterationAsync(it);
        await held.AppendIterationAsync(it); // a retried write: stored once
        Assert.Equal([it with { Claim = 1 }], await Store.GetIterationsAsync(id));
    }

    [Fact]
    public async Task Hosts_are_listed_with_their_heartbeat_and_the_jobs_they_hold_until_removed()
    {
        await Hosts.HeartbeatAsync("host-a", "2 workers");
        await Hosts.HeartbeatAsync("host-b", "1 worker");
        await Store.EnqueueAsync(AgentLoopTests.AddJob());
        await Store.EnqueueAsync(AgentLoopTests.AddJob());
        await Store.EnqueueAsync(AgentLoopTests.AddJob());
        _ = await ClaimAsync("host-a", Long);
        _ = await ClaimAsync("host-a", Long);
        await Hosts.HeartbeatAsync("host-b", "1 worker");

        var hosts = await Hosts.ListHostsAsync();
        Assert.Equal([("host-b", 0), ("host-a", 2)], hosts.Select(h => (h.Id, h.JobsHeld)));
        Assert.True(hosts[0].LastHeartbeat >= hosts[0].StartedAt);
        var counts = await Hosts.CountJobsAsync();
        Assert.Equal((1, 2, 0), (counts[JobState.Queued], counts[JobState.Running], counts[JobState.Succeeded]));

        await Hosts.RemoveAsync("host-a");
        Assert.Equal(["host-b"], (await Hosts.ListHostsAsync()).Select(h => h.Id));
    }

    [Fact]
    public async Task A_job_whose_lease_runs_out_at_every_holder_ends_in_error_with_the_reason_instead_of_being_claimed_forever()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxExpiredLeases = 3 });
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob());
        IFetchedJob? last = null;
        for (int claim = 1; claim <= 3; claim++)
        {
            last = await store.TryFetchAsync($"w{claim}", TimeSpan.FromMilliseconds(1)); // the worker "dies": its lease lapses
            Assert.Equal((id, claim), (last?.Job.Id, last?.Generation));
            await Task.Delay(50);
        }
        Assert.Null(await store.TryFetchAsync("w4", Long));
        var job = (await store.GetAsync(id))!;
        Assert.Equal((JobState.Error, 3), (job.State, job.Claims));
        Assert.Contains("3 times", job.Summary);
        Assert.NotNull(job.FinishedAt);

        // The last holder, resuming late, is fenced off like any other.
        await Assert.ThrowsAsync<LeaseLostException>(() => last!.AppendIterationAsync(Iteration(1)));
        await Assert.ThrowsAsync<LeaseLostException>(() => last!.CompleteAsync(JobState.Succeeded, "late", null));
        Assert.Equal(JobState.Error, (await store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task A_job_given_back_at_shutdown_does_not_count_towards_the_poison_limit()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxExpiredLeases = 2 });
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob());
        for (int claim = 1; claim <= 4; claim++)
        {
            var held = await store.TryFetchAsync("w", Long) ?? throw new Xunit.Sdk.XunitException($"claim {claim}: nothing to claim");
            await held.RequeueAsync(); // a graceful stop, not a death
        }
        var lapsed = await store.TryFetchAsync("dies", TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        var resumed = await store.TryFetchAsync("w", Long); // one expired lease: below the limit of 2
        Assert.Equal((id, 6), (resumed?.Job.Id, resumed?.Generation));
        Assert.NotNull(lapsed);
    }

    [Fact]
    public async Task Fetching_one_job_by_id_claims_that_job_only()
    {
        string older = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        string mine = await Store.EnqueueAsync(AgentLoopTests.AddJob());
        var fetched = await Store.TryFetchAsync("run", Short, mine);
        Assert.Equal((mine, 1), (fetched?.Job.Id, fetched?.Generation));
        Assert.Null(await Store.TryFetchAsync("run", Long, mine)); // held
        Assert.Null(await Store.TryFetchAsync("run", Long, "j-nope"));
        var olderJob = (await Store.GetAsync(older))!;
        Assert.Equal((JobState.Queued, 0), (olderJob.State, olderJob.Claims));

        // Its lease runs out: fetching it by id takes it over under the next generation, fencing the first holder.
        await Task.Delay(Short + TimeSpan.FromMilliseconds(800));
        var again = await Store.TryFetchAsync("run-2", Long, mine);
        Assert.Equal((mine, 2), (again?.Job.Id, again?.Generation));
        await Assert.ThrowsAsync<LeaseLostException>(() => fetched!.AppendIterationAsync(Iteration(1)));
        await again!.CompleteAsync(JobState.Succeeded, "passed", null);
        Assert.Null(await Store.TryFetchAsync("run", Long, mine)); // finished
        Assert.Equal(older, (await Store.TryFetchAsync("any", Long))?.Job.Id);
    }

    [Fact]
    public async Task A_full_queue_refuses_more_jobs_with_a_clear_error_and_running_jobs_do_not_count()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxQueuedJobs = 2 });
        await store.EnqueueAsync(AgentLoopTests.AddJob());
        await store.EnqueueAsync(AgentLoopTests.AddJob());
        var e = await Assert.ThrowsAsync<JobQueueFullException>(() => store.EnqueueAsync(AgentLoopTests.AddJob()));
        Assert.Contains("2 jobs", e.Message);
        Assert.Equal(2, e.Limit);
        Assert.Equal(2, (await store.ListAsync()).Count);

        _ = await store.TryFetchAsync("w", Long); // one leaves the queue
        await store.EnqueueAsync(AgentLoopTests.AddJob());
        await Assert.ThrowsAsync<JobQueueFullException>(() => store.EnqueueAsync(AgentLoopTests.AddJob()));
        Assert.Equal(3, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task Concurrent_submissions_never_overfill_the_queue()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxQueuedJobs = 5 });
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            try { await store.EnqueueAsync(AgentLoopTests.AddJob()); return true; }
            catch (JobQueueFullException) { return false; }
        })));
        Assert.Equal(5, results.Count(accepted => accepted));
        Assert.Equal(5, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task Stored_output_is_capped_per_field_and_per_job_keeping_both_ends_and_the_same_on_a_retry()
    {
        var limits = new JobStoreLimits { MaxIterationFieldChars = 1000, MaxJobOutputChars = 10_000, FieldCharsOverJobBudget = 200 };
        var store = await StoreWithAsync(limits);
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob());
        var held = (await store.TryFetchAsync("w", Long))!;
        string Big(char c) => "BEGIN" + new string(c, 3000) + "END";
        var big = Iteration(1) with { Prompt = Big('p'), Reply = Big('r'), Code = Big('c'), Feedback = Big('f'), TestOutput = Big('o') };
        for (int n = 1; n <= 4; n++) await held.AppendIterationAsync(big with { Number = n });
        await held.AppendIterationAsync(big with { Number = 3 }); // a retried write: stored once, capped as before

        var stored = await store.GetIterationsAsync(id);
        Assert.Equal([1, 2, 3, 4], stored.Select(i => i.Number));
        foreach (var it in stored)
        {
            int max = it.Number <= 2 ? limits.MaxIterationFieldChars : limits.FieldCharsOverJobBudget; // the job's budget is spent after two
            foreach (string field in new[] { it.Prompt, it.Reply, it.Code, it.Feedback, it.TestOutput })
            {
                Assert.InRange(field.Length, 1, max);
                Assert.StartsWith("BEGIN", field);
                Assert.EndsWith("END", field);
                Assert.Contains("characters not stored", field);
            }
        }
        Assert.True(stored.Sum(JobStoreLimits.StoredChars) <= limits.MaxJobOutputChars + 2 * 5L * limits.FieldCharsOverJobBudget);
    }

    [Fact]
    public async Task Text_no_store_can_hold_is_stored_as_replacement_characters_and_pairs_survive_a_cut()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxIterationFieldChars = 200 });
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob());
        var held = (await store.TryFetchAsync("w", Long))!;
        // A program printed NUL and a lone surrogate; a long reply is cut where a surrogate pair straddles the cut.
        string emoji = new string('a', 59) + string.Concat(Enumerable.Repeat("😀", 100)) + "b";
        var it = Iteration(1) with { TestOutput = "a\0b\ud800c", Reply = emoji };
        await held.AppendIterationAsync(it);
        var stored = Assert.Single(await store.GetIterationsAsync(id));
        Assert.Equal("a\uFFFDb\uFFFDc", stored.TestOutput);
        Assert.StartsWith(new string('a', 59), stored.Reply);
        Assert.EndsWith("😀b", stored.Reply);
        Assert.DoesNotContain('\uFFFD', stored.Reply); // no pair was split
    }
}
