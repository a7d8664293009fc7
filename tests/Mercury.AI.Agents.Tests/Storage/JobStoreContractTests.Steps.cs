using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Workspaces;

namespace Mercury.AI.Agents.Tests.Storage;

/// <summary>The steps of workspace jobs (issue 17): stored in order under the lease, their text capped, their data whole.</summary>
public abstract partial class JobStoreContractTests
{
    internal static StepRecord Step(int number, StepKind kind = StepKind.Tool, string output = "ok", string data = "") => new()
    {
        Number = number, Turn = 1, Kind = kind, Name = kind == StepKind.Tool ? "read_file" : "", CallId = kind == StepKind.Tool ? "call_1_0" : "",
        Input = """{"path":"a.py"}""", Output = output, Data = data, Passed = kind == StepKind.Check ? true : null,
        OutputTokens = kind == StepKind.Model ? 7 : 0, Duration = TimeSpan.FromMilliseconds(12),
    };

    [Fact]
    public async Task Steps_round_trip_in_order_with_text_capped_and_data_whole_and_a_retry_stores_nothing_twice()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxIterationFieldChars = 1000 });
        var spec = WorkspaceJobs.Inline();
        string id = await store.EnqueueAsync(spec);
        Assert.Equal(spec.Workspace!.Files, (await store.GetAsync(id))!.Spec.Workspace!.Files); // the repository travels with the job
        var held = (await store.TryFetchAsync("w", Long))!;
        string data = """[{"path":"a.py","content":"BEGIN""" + new string('x', 200_000) + """END"}]""";
        await held.AppendStepAsync(Step(1, StepKind.Model));
        await held.AppendStepAsync(Step(2, output: "BEGIN" + new string('o', 5000) + "END", data: data));
        await held.AppendStepAsync(Step(2, output: "a different retry", data: "")); // the same step again: a no-op
        await held.AppendStepAsync(Step(3, StepKind.Check));

        var steps = await store.GetStepsAsync(id);
        Assert.Equal([(1, StepKind.Model, (bool?)null, 7), (2, StepKind.Tool, null, 0), (3, StepKind.Check, true, 0)],
            steps.Select(s => (s.Number, s.Kind, s.Passed, s.OutputTokens)));
        Assert.All(steps, s => Assert.Equal(1, s.Claim));
        Assert.Equal(("read_file", "call_1_0", """{"path":"a.py"}"""), (steps[1].Name, steps[1].CallId, steps[1].Input));
        Assert.Equal(data, steps[1].Data); // what a job resumes from is never cut
        Assert.InRange(steps[1].Output.Length, 1, 1000);
        Assert.Contains("characters not stored", steps[1].Output);
        Assert.Empty(await store.GetIterationsAsync(id));
    }

    [Fact]
    public async Task A_taken_over_holder_cannot_store_a_step_and_the_new_holder_continues_the_numbering()
    {
        string id = await Store.EnqueueAsync(WorkspaceJobs.Inline());
        var stale = await ClaimAsync("a", Short);
        await stale.AppendStepAsync(Step(1, StepKind.Model));
        await Task.Delay(Short + TimeSpan.FromMilliseconds(800));
        var current = await ClaimAsync("b", Long);
        await Assert.ThrowsAsync<LeaseLostException>(() => stale.AppendStepAsync(Step(2)));
        await current.AppendStepAsync(Step(2, output: "from b"));
        Assert.Equal([(1, 1), (2, 2)], (await Store.GetStepsAsync(id)).Select(s => (s.Number, s.Claim)));
        Assert.Equal("from b", (await Store.GetStepsAsync(id))[1].Output);
    }

    [Fact]
    public async Task A_step_with_more_data_than_the_limit_is_refused_before_anything_is_written()
    {
        var store = await StoreWithAsync(new JobStoreLimits { MaxStepDataChars = 100 });
        string id = await store.EnqueueAsync(WorkspaceJobs.Inline());
        var held = (await store.TryFetchAsync("w", Long))!;
        var e = await Assert.ThrowsAsync<ArgumentException>(() => held.AppendStepAsync(Step(1, data: new string('d', 101))));
        Assert.Contains("at most 100", e.Message);
        Assert.Empty(await store.GetStepsAsync(id));
        Assert.True((await held.HeartbeatAsync()).LeaseHeld);
    }

    [Fact]
    public async Task Retention_deletes_a_finished_jobs_steps_with_it()
    {
        string id = await Store.EnqueueAsync(WorkspaceJobs.Inline());
        var held = await ClaimAsync("w", Long);
        await held.AppendStepAsync(Step(1, StepKind.Model));
        await held.CompleteAsync(JobState.Failed, "budget", null);
        Assert.Equal([id], await Store.PurgeFinishedAsync(DateTimeOffset.UtcNow.AddMinutes(1), keepLatest: 10));
        Assert.Empty(await Store.GetStepsAsync(id));
    }
}
