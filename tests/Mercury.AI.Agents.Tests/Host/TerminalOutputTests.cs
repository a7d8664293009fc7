using System.Text.Json;
using Mercury.AI.Agents.Host;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Agent;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>Issue 14, item 13: model and test output cannot drive the operator's terminal through run, show, logs or list.</summary>
public sealed class TerminalOutputTests : IDisposable
{
    // Clear screen, cursor home, OSC 52 clipboard write, carriage return over a fake "PASSED", a C1 CSI, a bidi override.
    private const string Evil = "\u001b[2J\u001b[H\u001b]52;c;ZXZpbA==\u0007\rPASSED \u009b31m \u202Egnp.exe";

    private readonly TempFolder _dir = new("mercury-terminal");

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private static void AssertInert(string printed)
    {
        foreach (char c in new[] { '\u001b', '\u0007', '\r', '\u009b', '\u202e' })
            Assert.DoesNotContain(c, printed);
        Assert.Contains("^[[2J", printed); // shown, not obeyed
    }

    [Fact]
    public async Task Show_logs_and_list_print_control_characters_as_visible_text()
    {
        var store = new SqliteJobStore(_dir.Combine("jobs.db"));
        string id = await store.EnqueueAsync(AgentLoopTests.AddJob() with { Name = "add " + Evil });
        var fetched = (await store.TryFetchAsync("w", TimeSpan.FromMinutes(1)))!;
        await fetched.AppendIterationAsync(new IterationRecord
        {
            Number = 1, Attempt = 0, Prompt = Evil, Reply = Evil, Code = Evil, Passed = false, TestsPassed = 0, TestsTotal = 1,
            Feedback = "FAILED: test_adds\n" + Evil, TestOutput = Evil, OutputTokens = 3, Duration = TimeSpan.FromSeconds(1),
        });
        await fetched.CompleteAsync(JobState.Failed, "summary " + Evil, 1);

        foreach (var args in new[] { new[] { "show", id }, ["logs", id], ["list"] })
        {
            var output = new StringWriter();
            Assert.Equal(0, await Cli.RunAsync([.. args, "--data", _dir.Path], output));
            AssertInert(output.ToString());
        }
        var json = new StringWriter(); // JSON escapes control characters itself
        Assert.Equal(0, await Cli.RunAsync(["show", id, "--json", "--data", _dir.Path], json));
        Assert.DoesNotContain('\u001b', json.ToString());
    }

    [Fact]
    public async Task Run_prints_a_failing_candidates_escape_sequences_as_visible_text()
    {
        string replay = _dir.Combine("replay.json");
        string wrong = "def add(a, b):\n    raise ValueError('\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\rPASSED')";
        File.WriteAllText(replay, JsonSerializer.Serialize(new { delayMs = 0, replies = new[] { ScriptedChatClient.Python(wrong) } }));
        string job = _dir.Combine("job.json");
        File.WriteAllText(job, JsonSerializer.Serialize(AgentLoopTests.AddJob(new JobBudget { MaxIterations = 1 }) with { HiddenTests = [] }, JobSpecParser.Json));

        var output = new StringWriter();
        int code = await Cli.RunAsync(["run", job, "--chat", "replay:" + replay, "--data", _dir.Combine("data")], output);
        Assert.True(code == 1, output.ToString());
        Assert.Contains("ValueError", output.ToString());
        AssertInert(output.ToString());
    }
}
