using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Host;
using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Tests.Workspaces;

public sealed class WorkspaceCrashTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-workspace-crash");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    [Fact]
    public async Task A_job_killed_mid_trajectory_resumes_from_its_last_stored_step_with_no_step_twice_and_the_same_patch()
    {
        // The sample's trajectory, each model turn taking 700 ms; turn 3 asks for two calls: an edit, then run_tests.
        var trajectory = JsonNode.Parse(File.ReadAllText(WorkspaceJobs.Sample("python-median", "trajectory.json")))!;
        trajectory["delayMs"] = 700;
        string replay = _dir.Combine("trajectory.json");
        File.WriteAllText(replay, trajectory.ToJsonString());
        string data = _dir.Combine("data");
        var store = new SqliteJobStore(Path.Combine(data, "jobs.db"));
        string jobFile = WorkspaceJobs.Sample("python-median");
        var spec = JobSpecParser.Parse(File.ReadAllText(jobFile), LanguageRunners.DefaultLanguages, Path.GetDirectoryName(jobFile));
        // run_tests is the window the kill must land in; pytest alone can finish between two polls of a loaded machine.
        spec = spec with { Workspace = spec.Workspace! with { TestCommands = ["sleep 3", .. spec.Workspace.TestCommands] } };
        string id = await store.EnqueueAsync(spec);
        string[] args = ["serve", "--data", data, "--chat", "replay:" + replay, "--lease-seconds", "3", "--heartbeat-seconds", "1", "--concurrency", "1"];

        IReadOnlyList<StepRecord> beforeCrash;
        using (var host = HostProcess.Start([.. args, "--port", HostProcess.FreePort().ToString()]))
        {
            // Killed while turn 3's run_tests runs: its edit is stored, the test run is not.
            beforeCrash = await WaitAsync(async () => await store.GetStepsAsync(id) is { Count: > 0 } steps && steps[^1] is { Kind: StepKind.Tool, Turn: 3, Name: "replace_in_file" } ? steps : null, host);
            host.KillHard();
        }
        Assert.Equal(JobState.Running, (await store.GetAsync(id))!.State);
        beforeCrash = await store.GetStepsAsync(id);
        Assert.Equal([StepKind.Model, StepKind.Tool, StepKind.Model, StepKind.Tool, StepKind.Model, StepKind.Tool], beforeCrash.Select(s => s.Kind));

        using (var host = HostProcess.Start([.. args, "--port", HostProcess.FreePort().ToString()]))
        {
            var finished = await WaitAsync(async () => await store.GetAsync(id) is { } j && j.State.IsFinal() ? j : null, host);
            Assert.True(finished.State == JobState.Succeeded, $"{finished.State}: {finished.Summary}\n{host.Output}");
            Assert.Equal(2, finished.Claims);
        }

        var all = await store.GetStepsAsync(id);
        Assert.Equal(Enumerable.Range(1, all.Count), all.Select(s => s.Number));
        foreach (var kept in beforeCrash) // the steps stored before the crash are the very rows, untouched
            Assert.Equal((kept.CreatedAt, kept.Claim, kept.Data), (all[kept.Number - 1].CreatedAt, all[kept.Number - 1].Claim, all[kept.Number - 1].Data));
        Assert.All(all.Skip(beforeCrash.Count), s => Assert.Equal(2, s.Claim));
        // One model step per turn (a stored turn is never asked for again), one result per call, the pending call made once.
        Assert.Equal([1, 2, 3, 4], all.Where(s => s.Kind == StepKind.Model).Select(s => s.Turn));
        var calls = all.Where(s => s.Kind == StepKind.Tool).Select(s => (s.Turn, s.CallId)).ToList();
        Assert.Equal(calls.Distinct().Count(), calls.Count);
        Assert.Equal(["run_tests", "read_file", "replace_in_file", "run_tests", "finish"], all.Where(s => s.Kind == StepKind.Tool).Select(s => s.Name));
        Assert.Equal(true, all.Single(s => s.Kind == StepKind.Tool && s.Turn == 3 && s.Name == "run_tests").Passed);
        Assert.Equal(StepKind.Check, all[^1].Kind);
        Assert.Equal(File.ReadAllText(WorkspaceJobs.Sample("python-median", "solution.patch")), UnifiedDiff.ForJob(spec, all));
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, HostProcess host, int seconds = 120) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value) return value;
            if (host.HasExited) throw new InvalidOperationException("host exited:\n" + host.Output);
            await Task.Delay(20);
        }
        throw new TimeoutException("timed out; host output:\n" + host.Output);
    }
}
