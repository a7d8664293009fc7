using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>
/// Each budget of a workspace job ends it: a model that never finishes (it reads the same file on every turn) is stopped
/// by the budget named in the job, the final check still runs on the files as they are, and the job fails.
/// </summary>
public sealed class WorkspaceBudgetTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-workspace-budget");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    // Every reply reads a.py; the replay repeats its last reply, so the model never stops by itself. Each turn costs
    // 7 output tokens (the replay counts a quarter of the call's characters, plus one).
    private const string Endless = """{ "delayMs": DELAY, "replies": [ { "toolCalls": [ { "name": "read_file", "arguments": { "path": "a.py" } } ] } ] }""";

    [Theory]
    [InlineData("""{"maxToolCalls":3}""", 0, "tool-call budget (3) used", 3, 3)]
    [InlineData("""{"maxTurns":2}""", 0, "turn budget (2) used", 2, 2)]
    [InlineData("""{"maxOutputTokens":16}""", 0, "output token budget (16) used", 3, 3)]
    [InlineData("""{"wallClockSeconds":1}""", 300, "wall-clock budget (1 s) used", -1, -1)]
    public async Task Each_budget_stops_a_model_that_never_finishes_and_the_final_check_still_runs(
        string budget, int delayMs, string ending, int turns, int toolCalls)
    {
        string repo = _dir.Combine("repo");
        Directory.CreateDirectory(repo);
        File.WriteAllText(Path.Combine(repo, "a.py"), "def f():\n    return 1\n");
        File.WriteAllText(Path.Combine(repo, "test_a.py"), "from a import f\n\ndef test_f():\n    assert f() == 2\n");
        string job = _dir.Combine("job.json");
        File.WriteAllText(job, $$"""{"language":"python","instruction":"Make test_f pass.","workspace":{"path":"repo","testCommands":["python3 -m pytest -q"]},"budget":{{budget}}}""");
        string replay = _dir.Combine("endless.json");
        File.WriteAllText(replay, Endless.Replace("DELAY", delayMs.ToString()));

        var output = new StringWriter();
        int code = await Mercury.AI.Agents.Host.Cli.RunAsync(["run", job, "--chat", "replay:" + replay, "--data", _dir.Combine("data")], output);

        Assert.True(code == 1, output.ToString());
        Assert.Contains($"{ending}; visible tests fail", output.ToString());
        var store = new SqliteJobStore(_dir.Combine("data", "jobs.db"));
        string id = (await store.ListAsync()).Single().Id;
        var steps = await store.GetStepsAsync(id);
        Assert.Equal(StepKind.Check, steps[^1].Kind);
        Assert.Equal(false, steps[^1].Passed);
        if (turns < 0) return; // the wall clock stops wherever it falls
        Assert.Equal(turns, steps.Count(s => s.Kind == StepKind.Model));
        // Every call the model asked for was made before the stop: a spent budget leaves no call unanswered.
        Assert.Equal(toolCalls, steps.Count(s => s.Kind == StepKind.Tool));
    }
}
