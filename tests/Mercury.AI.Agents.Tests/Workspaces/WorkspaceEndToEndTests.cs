using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mercury.AI.Agents.Host;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Mercury.AI.Agents.Workspaces;
using Mercury.AI.Agents.Tests.Host;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>
/// The samples through the CLI with their scripted trajectories (issue 17): eval solves all three — Python with
/// pytest, JavaScript with node --test, C# with an offline dotnet test — and each job's patch applies to a fresh copy
/// of its repository, where the hidden tests pass; a wrong trajectory passes the visible tests and fails the hidden
/// ones; the HTTP API serves the patch, the check and the transcript. The C# sample is the one dotnet test build of
/// the suite (about two minutes on two loaded cores).
/// </summary>
public sealed class WorkspaceEndToEndTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-workspace");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private async Task<(int Code, string Output)> Cli(params string[] args)
    {
        var output = new StringWriter();
        int code = await Mercury.AI.Agents.Host.Cli.RunAsync([.. args, "--data", _dir.Combine("data")], output);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Eval_solves_every_sample_and_each_patch_applies_to_a_fresh_copy_where_the_hidden_tests_pass()
    {
        string report = _dir.Combine("eval.json");
        var (code, table) = await Cli("eval", WorkspaceJobs.SamplesFolder(), "--chat", WorkspaceJobs.AllTrajectories, "--concurrency", "2", "--out", report);
        Assert.True(code == 0, table);
        var lines = table.Split('\n');
        Assert.StartsWith("job ", lines[0]);
        foreach (var name in WorkspaceJobs.Names)
            Assert.Matches($@"^{name}\s+workspace\s+succeeded\s+yes\s+pass\s+pass\s+\d+\s+\d+\s+\d+\s+[\d.]+$", lines.Single(l => l.StartsWith(name)).TrimEnd());
        Assert.Matches(@"^total\s+3 jobs\s+3/3", lines.Single(l => l.StartsWith("total")));
        Assert.Contains("pass rate 100%", table);

        var eval = JsonSerializer.Deserialize<EvalReport>(File.ReadAllText(report), LoopbackApi.Json)!;
        Assert.Equal((3, 1.0), (eval.Passed, eval.PassRate));
        Assert.Equal(eval.Jobs.Sum(j => j.ToolCalls), eval.ToolCalls);
        Assert.All(eval.Jobs, j => Assert.True(j.Turns >= 4 && j.ToolCalls >= 4 && j.OutputTokens > 0 && j.Seconds > 0, $"{j.Name}: {j}"));

        var store = new SqliteJobStore(_dir.Combine("data", "jobs.db"));
        var runner = new WorkspaceTestRunner(SandboxFactory.Create(new SandboxOptions()));
        foreach (var row in eval.Jobs)
        {
            var (diffCode, diff) = await Cli("diff", row.Id);
            Assert.Equal(0, diffCode);
            // Regenerate after changing a trajectory: mercury-agents diff <id> > samples/workspaces/<name>/solution.patch
            Assert.Equal(File.ReadAllText(WorkspaceJobs.Sample(row.Name, "solution.patch")), diff);

            string fresh = WorkspaceJobs.FreshCopy(row.Name, _dir.Combine("fresh-" + row.Name));
            var (applyCode, applied) = await Cli("apply", row.Id, fresh);
            Assert.True(applyCode == 0, applied);
            var job = (await store.GetAsync(row.Id))!;
            var final = WorkspaceSnapshot.From(job.Spec, await store.GetStepsAsync(row.Id));
            var finalFiles = new SortedDictionary<string, string>(final.Files.ToDictionary(f => f.Path, f => f.Content!), StringComparer.Ordinal);
            Assert.Equal(finalFiles, WorkspaceJobs.Files(fresh)); // the very files the final check passed on
            Assert.Equal(2, (await Cli("apply", row.Id, fresh)).Code); // applied twice: refused, and nothing changed
            Assert.Equal(finalFiles, WorkspaceJobs.Files(fresh));

            if (job.Spec.Language == "csharp") continue; // its hidden check ran on these files above; one dotnet build is enough
            foreach (var hidden in job.Spec.Workspace!.HiddenFiles) File.WriteAllText(Path.Combine(fresh, hidden.Path), hidden.Content);
            var run = await runner.RunAsync(job.Spec.Language, fresh, job.Spec.Workspace.TestCommands, null, _dir.Combine("runs-" + row.Name), CancellationToken.None);
            Assert.True(run.Passed, run.Describe());
        }
    }

    [Fact]
    public async Task A_wrong_trajectory_passes_the_visible_tests_fails_the_hidden_ones_and_the_api_serves_its_result()
    {
        var (code, output) = await Cli("run", WorkspaceJobs.Sample("python-median"), "--chat", "replay:" + WorkspaceJobs.Sample("python-median", "wrong-trajectory.json"));
        Assert.True(code == 1, output);
        Assert.Contains("visible tests pass, hidden tests fail", output);
        Assert.Contains("stats.py  +2 -0", output);

        var jobs = new JobService(new SqliteJobStore(_dir.Combine("data", "jobs.db")));
        string id = (await jobs.ListAsync()).Single().Id;
        const string token = "workspace-test-token-0123456789";
        var api = new LoopbackApi(jobs, new LoopbackApiOptions { Port = HostProcess.FreePort(), Token = token }, new AgentHostHealth(), NullLogger<LoopbackApi>.Instance);
        await api.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(api.Prefix) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var diff = await http.GetAsync($"jobs/{id}/diff");
            Assert.Equal("text/x-diff", diff.Content.Headers.ContentType?.MediaType);
            Assert.Equal((await Cli("diff", id)).Output, await diff.Content.ReadAsStringAsync());
            var result = await http.GetFromJsonAsync<JsonElement>($"jobs/{id}/result");
            Assert.Equal("failed", result.GetProperty("state").GetString());
            Assert.True(result.GetProperty("check").GetProperty("visible").GetProperty("passed").GetBoolean());
            Assert.False(result.GetProperty("check").GetProperty("hidden").GetProperty("passed").GetBoolean());
            // No file changed after the last run_tests: the final check took its result instead of running the tests again.
            Assert.True(result.GetProperty("check").GetProperty("visibleReused").GetBoolean());
            var steps = await http.GetFromJsonAsync<JsonElement>($"jobs/{id}/steps");
            Assert.Equal(["model", "tool", "model", "tool", "tool", "model", "tool", "check"], steps.EnumerateArray().Select(s => s.GetProperty("kind").GetString()));
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("jobs/j-missing/diff")).StatusCode);
            string functionJob = await jobs.SubmitJsonAsync(File.ReadAllText(Path.Combine(WorkspaceJobs.SamplesFolder(), "..", "tasks", "python-count-vowels.json")));
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"jobs/{functionJob}/diff")).StatusCode); // a function job has no patch
            Assert.Equal(HttpStatusCode.Unauthorized, (await new HttpClient { BaseAddress = new Uri(api.Prefix) }.GetAsync($"jobs/{id}/diff")).StatusCode);

            // A workspace job over the API brings its files inline; a folder path is for the CLI.
            string inline = JsonSerializer.Serialize(WorkspaceJobs.Inline(), JobSpecParser.Json);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("jobs", new StringContent(inline, System.Text.Encoding.UTF8, "application/json"))).StatusCode);
            var byPath = await http.PostAsync("jobs", new StringContent(File.ReadAllText(WorkspaceJobs.Sample("python-median")), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, byPath.StatusCode);
            Assert.Contains("workspace.path", await byPath.Content.ReadAsStringAsync());
        }
        finally
        {
            await api.StopAsync(CancellationToken.None);
            await api.DisposeAsync();
        }
    }
}
