using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Agent;

public sealed class AgentLoopTests : IDisposable
{
    private readonly TempFolder _work = new("mercury-loop");
    private readonly LanguageRunners _runners = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()));

    public void Dispose() => _work.Dispose();

    internal const string Wrong = "def add(a, b):\n    return a - b";
    internal const string Right = "def add(a, b):\n    return a + b";
    internal const string SecretHiddenMarker = "HIDDEN-TEST-SECRET-42";

    internal static JobSpec AddJob(JobBudget? budget = null) => new()
    {
        Name = "add",
        Language = "python",
        Instruction = "Write add(a, b) that returns the sum of a and b.",
        Tests = [new TestFile("test_add.py", "def test_adds():\n    assert add(2, 3) == 5, 'add(2, 3) should be 5'\n")],
        HiddenTests = [new TestFile("test_hidden.py", $"# {SecretHiddenMarker}\ndef test_big():\n    assert add(10**12, 1) == 10**12 + 1\n")],
        Budget = budget ?? new JobBudget { MaxIterations = 5 },
    };

    private async Task<(AgentOutcome Outcome, List<IterationRecord> Stored)> Run(ScriptedChatClient model, JobSpec spec)
    {
        var stored = new List<IterationRecord>();
        var loop = new AgentLoop(new AgentCoder(model), _runners);
        var outcome = await loop.RunAsync(spec, [], (it, _) => { stored.Add(it); return Task.CompletedTask; },
            _work.Combine("work"), _work.Combine("artifacts"), CancellationToken.None);
        return (outcome, stored);
    }

    [Fact]
    public async Task Compact_style_sends_one_self_contained_turn_in_the_training_format()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Python(Wrong), ScriptedChatClient.Python(Right));
        var loop = new AgentLoop(new AgentCoder(model, Prompts.CompactInstructions), _runners, style: PromptStyle.Compact);
        var outcome = await loop.RunAsync(AddJob(), [], (_, _) => Task.CompletedTask, _work.Combine("work"), null, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Reason);
        var first = model.Requests[0].Where(m => m.Role == Microsoft.Extensions.AI.ChatRole.User).ToList();
        Assert.Equal(AddJob().Instruction, Assert.Single(first).Text);
        var second = model.Requests[1].Where(m => m.Role != Microsoft.Extensions.AI.ChatRole.System).ToList();
        string turn = Assert.Single(second).Text;
        Assert.StartsWith(AddJob().Instruction, turn);
        Assert.Contains("My previous attempt:", turn);
        Assert.Contains("a - b", turn);
        Assert.Contains("add(2, 3) should be 5", turn);
        Assert.EndsWith("Fix the code.", turn);
        Assert.DoesNotContain(SecretHiddenMarker, turn);
    }

    [Fact]
    public async Task Fresh_restarts_sample_with_their_own_seed_and_a_temperature()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Python(Wrong));
        var budget = new JobBudget { MaxIterations = 6, RefinementsPerAttempt = 1, MaxRestarts = 2 };
        var loop = new AgentLoop(new AgentCoder(model, Prompts.CompactInstructions), _runners, style: PromptStyle.Compact, restartTemperature: 0.6);
        var outcome = await loop.RunAsync(AddJob(budget), [], (_, _) => Task.CompletedTask, _work.Combine("work"), null, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(6, model.Options.Count); // 3 attempts of 2 iterations
        // The first attempt is greedy (the model's default); each restart has its own seed and the restart temperature.
        Assert.All(model.Options.Take(2), o => Assert.Equal((null, null), (o!.Seed, o.Temperature)));
        var restarts = model.Options.Skip(2).Select(o => (o!.Seed, o.Temperature)).ToList();
        Assert.All(restarts, r => Assert.Equal(0.6f, r.Temperature));
        Assert.Equal(2, restarts.Select(r => r.Seed).Distinct().Count());
        // A resumed job samples its restarts as before it stopped.
        Assert.Equal(loop.SamplingFor(AddJob(budget), 1, 256), loop.SamplingFor(AddJob(budget), 1, 256));
    }

    [Fact]
    public async Task Fails_then_fixes_with_the_failure_reaching_the_model()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Python(Wrong), ScriptedChatClient.Python(Right));
        var (outcome, stored) = await Run(model, AddJob());

        Assert.True(outcome.Succeeded, outcome.Reason);
        Assert.Equal(2, stored.Count);
        Assert.False(stored[0].Passed);
        Assert.True(stored[1].Passed);
        Assert.Equal(1, stored[1].HiddenTotal);

        // The second request carries the first attempt and the trimmed failure summary.
        var second = model.Requests[1];
        string lastUser = second.Last(m => m.Role == Microsoft.Extensions.AI.ChatRole.User).Text;
        Assert.Contains("FAILED: test_adds", lastUser);
        Assert.Contains("add(2, 3) should be 5", lastUser);
        Assert.Contains(second, m => m.Role == Microsoft.Extensions.AI.ChatRole.Assistant && m.Text.Contains("a - b"));
        Assert.True(File.Exists(_work.Combine("artifacts", "iteration-001", "solution.py")));
        Assert.True(File.Exists(_work.Combine("artifacts", "iteration-002", "test-output.txt")));
    }

    [Fact]
    public async Task Hidden_tests_are_never_shown_to_the_model()
    {
        // Passes the visible test but not the hidden one at first.
        string visibleOnly = "def add(a, b):\n    return 5 if (a, b) == (2, 3) else 0";
        var model = new ScriptedChatClient(ScriptedChatClient.Python(visibleOnly), ScriptedChatClient.Python(Right));
        var (outcome, stored) = await Run(model, AddJob());

        Assert.True(outcome.Succeeded);
        Assert.Equal(0, stored[0].HiddenPassed);
        Assert.Contains("fails 1 of 1 hidden tests", stored[0].Feedback);
        foreach (var message in model.Requests.SelectMany(r => r))
        {
            Assert.DoesNotContain(SecretHiddenMarker, message.Text);
            Assert.DoesNotContain("10**12", message.Text);
        }
    }

    [Fact]
    public async Task Restarts_fresh_after_the_refinements_of_an_attempt_fail()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Python(Wrong), ScriptedChatClient.Python(Wrong), ScriptedChatClient.Python(Right));
        var (outcome, stored) = await Run(model, AddJob(new JobBudget { MaxIterations = 5, RefinementsPerAttempt = 1, MaxRestarts = 1 }));

        Assert.True(outcome.Succeeded);
        Assert.Equal([0, 0, 1], stored.Select(i => i.Attempt));
        Assert.Single(model.Requests[2], m => m.Role == Microsoft.Extensions.AI.ChatRole.User); // a fresh conversation
    }

    [Fact]
    public async Task Stops_at_the_iteration_budget_and_keeps_the_best_candidate()
    {
        var model = new ScriptedChatClient("I am not sure.", ScriptedChatClient.Python(Wrong));
        var (outcome, stored) = await Run(model, AddJob(new JobBudget { MaxIterations = 3, RefinementsPerAttempt = 10 }));

        Assert.False(outcome.Succeeded);
        Assert.Contains("iteration budget (3) used", outcome.Reason);
        Assert.Equal(3, stored.Count);
        Assert.Contains("no code block", stored[0].Feedback);
        Assert.NotNull(outcome.Best);
    }

    [Fact]
    public async Task Stops_at_the_output_token_budget()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Python(Wrong));
        var (outcome, stored) = await Run(model, AddJob(new JobBudget { MaxIterations = 50, RefinementsPerAttempt = 50, MaxOutputTokens = 40 }));
        Assert.False(outcome.Succeeded);
        Assert.Contains("output token budget", outcome.Reason);
        Assert.InRange(stored.Count, 1, 3);
    }

    [Fact]
    public async Task Stops_at_the_wall_clock_budget_even_inside_a_slow_model_call()
    {
        var slow = new ScriptedChatClient(ScriptedChatClient.Python(Right)) { Delay = TimeSpan.FromSeconds(30) };
        var started = DateTime.UtcNow;
        var (outcome, stored) = await Run(slow, AddJob(new JobBudget { MaxIterations = 5, WallClockSeconds = 1 }));
        Assert.False(outcome.Succeeded);
        Assert.Contains("wall-clock budget (1 s) used", outcome.Reason);
        Assert.Empty(stored);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Resumes_after_the_stored_iterations()
    {
        var first = new ScriptedChatClient(ScriptedChatClient.Python(Wrong));
        var (_, stored) = await Run(first, AddJob(new JobBudget { MaxIterations = 1 }));
        Assert.Single(stored);

        var second = new ScriptedChatClient(ScriptedChatClient.Python(Right));
        var more = new List<IterationRecord>();
        var outcome = await new AgentLoop(new AgentCoder(second), _runners).RunAsync(AddJob(), stored,
            (it, _) => { more.Add(it); return Task.CompletedTask; }, _work.Combine("work2"), null, CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(2, Assert.Single(more).Number);
        Assert.Contains("FAILED: test_adds", second.Requests[0].Last().Text); // the stored feedback continues the conversation
    }

    [Theory]
    [InlineData("```python\nx = 1\n```", "x = 1\n")]
    [InlineData("text\n```js\nno\n```\n```python\nyes = 2\n```", "yes = 2\n")]
    [InlineData("```\nplain\n```", "plain\n")]
    [InlineData("```python\nunterminated = 3", "unterminated = 3\n")]
    [InlineData("no code at all", null)]
    public void Extracts_the_code_block_of_the_language(string reply, string? expected) =>
        Assert.Equal(expected, CodeExtractor.Extract(reply, ["python", "py"]));
}
