using System.Diagnostics;
using System.Text;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Agent;

/// <summary>How a loop run ended.</summary>
public sealed record AgentOutcome(bool Succeeded, string Reason, IterationRecord? Best);

/// <summary>
/// generate → test → refine. Each iteration: ask the coder, extract the code, run the visible tests (and, when they
/// pass, the hidden ones) in the sandbox, turn the failures into the next prompt. After
/// <see cref="JobBudget.RefinementsPerAttempt"/> failed refinements the attempt is abandoned and a fresh conversation
/// starts. The loop stops on success or when a budget runs out; the best candidate is kept either way.
///
/// The loop is resumable: it is given the iterations already stored and continues after the last one. Each finished
/// iteration is handed to <c>onIteration</c> (which stores it) before the next one starts.
/// </summary>
public sealed class AgentLoop(ICoder coder, LanguageRunners runners, ILogger? logger = null, PromptStyle style = PromptStyle.Full,
    double restartTemperature = AgentLoop.DefaultRestartTemperature)
{
    /// <summary>Sampling temperature of fresh restarts: the first attempt is the model's default (greedy for the
    /// diffusion models), and a greedy restart of the same prompt would repeat it token for token.</summary>
    public const double DefaultRestartTemperature = 0.7;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<AgentOutcome> RunAsync(
        JobSpec spec,
        IReadOnlyList<IterationRecord> previous,
        Func<IterationRecord, CancellationToken, Task> onIteration,
        string workDirectory,
        string? artifactsDirectory,
        CancellationToken cancellationToken)
    {
        var runner = runners.Get(spec.Language);
        var budget = spec.Budget;
        var done = previous.OrderBy(i => i.Number).ToList();
        var best = done.MaxBy(i => i.Score);
        var clock = Stopwatch.StartNew();
        var earlierTime = TimeSpan.FromTicks(done.Sum(i => i.Duration.Ticks));

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var last = done.LastOrDefault();
            if (last is { Passed: true }) return new AgentOutcome(true, $"passed all tests at iteration {last.Number}", last);
            if (done.Count >= budget.MaxIterations) return Stop($"iteration budget ({budget.MaxIterations}) used", best);
            int tokensUsed = done.Sum(i => i.OutputTokens);
            if (tokensUsed >= budget.MaxOutputTokens) return Stop($"output token budget ({budget.MaxOutputTokens}) used", best);
            if (earlierTime + clock.Elapsed >= TimeSpan.FromSeconds(budget.WallClockSeconds)) return Stop($"wall-clock budget ({budget.WallClockSeconds} s) used", best);

            // Which attempt, and is it time for a fresh start?
            int attempt = last?.Attempt ?? 0;
            var inAttempt = done.Where(i => i.Attempt == attempt).ToList();
            if (inAttempt.Count > budget.RefinementsPerAttempt)
            {
                if (attempt >= budget.MaxRestarts) return Stop($"{budget.MaxRestarts} fresh restarts used", best);
                attempt++;
                inAttempt = [];
                _logger.LogInformation("Fresh restart {Attempt} after {Count} failed iterations", attempt, done.Count);
            }

            // The conversation of this attempt, rebuilt from what is stored (so a resumed job continues it). The store caps
            // long fields, so the first prompt (instruction and tests, possibly large) is rebuilt from the spec instead.
            string initial = style == PromptStyle.Compact ? Prompts.CompactInitial(spec) : Prompts.Initial(spec, runner);
            var conversation = new List<ChatMessage>();
            foreach (var it in inAttempt)
            {
                conversation.Add(new ChatMessage(ChatRole.User, ReferenceEquals(it, inAttempt[0]) ? initial : it.Prompt));
                conversation.Add(new ChatMessage(ChatRole.Assistant, it.Reply));
            }
            string prompt = inAttempt.Count == 0 ? initial : inAttempt[^1].Feedback;
            if (style == PromptStyle.Compact) conversation.Clear(); // one self-contained turn; no growing history
            conversation.Add(new ChatMessage(ChatRole.User, prompt));

            // The wall-clock budget also bounds the iteration in flight (a slow model call, a slow test run).
            var timeLeft = TimeSpan.FromSeconds(budget.WallClockSeconds) - (earlierTime + clock.Elapsed);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeLeft);
            IterationRecord iteration;
            try
            {
                iteration = await RunIterationAsync(spec, runner, done.Count + 1, attempt, conversation, prompt,
                    budget.MaxOutputTokens - tokensUsed, workDirectory, artifactsDirectory, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Stop($"wall-clock budget ({budget.WallClockSeconds} s) used during iteration {done.Count + 1}", best);
            }

            // Stored before the next iteration starts: after a crash the job resumes after this one.
            await onIteration(iteration, cancellationToken).ConfigureAwait(false);
            done.Add(iteration);
            if (best is null || iteration.Score > best.Score) best = iteration;
            _logger.LogInformation("Iteration {Number} (attempt {Attempt}): {Passed}/{Total} visible, {HiddenPassed}/{HiddenTotal} hidden, {Tokens} tokens",
                iteration.Number, iteration.Attempt, iteration.TestsPassed, iteration.TestsTotal, iteration.HiddenPassed, iteration.HiddenTotal, iteration.OutputTokens);
        }
    }

    private static AgentOutcome Stop(string reason, IterationRecord? best) =>
        new(false, best is null ? reason : $"{reason}; best was iteration {best.Number} ({best.TestsPassed}/{best.TestsTotal} visible tests)", best);

    private async Task<IterationRecord> RunIterationAsync(
        JobSpec spec, ILanguageRunner runner, int number, int attempt, List<ChatMessage> conversation, string prompt,
        int tokensLeft, string workDirectory, string? artifactsDirectory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var activity = Diagnostics.AgentTelemetry.Source.StartActivity("iteration");
        activity?.SetTag("mercury.iteration.number", number);
        // A diffusion model decodes a fixed-length canvas; the compact style asks for the answer lengths the embedded
        // model was trained to fill (code ≤ 256 tokens, pages ≤ 768), not the whole remaining budget.
        int ceiling = style == PromptStyle.Compact ? Math.Min(tokensLeft, spec.Language == "html" ? 768 : 256) : tokensLeft;
        var reply = await coder.ReplyAsync(conversation, SamplingFor(spec, attempt, Math.Max(16, ceiling)), cancellationToken).ConfigureAwait(false);
        string? code = CodeExtractor.Extract(reply.Text, runner.FenceTags);

        TestRunResult? visible = null, hidden = null;
        string feedback;
        if (code is null)
        {
            feedback = style == PromptStyle.Compact ? Prompts.CompactFeedback(spec, runner, null, null, null) : Prompts.NoCode(runner);
        }
        else
        {
            string iterationDir = Path.Combine(workDirectory, $"iteration-{number:000}");
            visible = await RunTestsAsync(runner, spec, code, spec.Tests, Path.Combine(iterationDir, "visible"), cancellationToken).ConfigureAwait(false);
            if (visible.Passed && spec.HiddenTests.Count > 0)
                hidden = await RunTestsAsync(runner, spec, code, spec.HiddenTests, Path.Combine(iterationDir, "hidden"), cancellationToken).ConfigureAwait(false);
            feedback = style == PromptStyle.Compact
                ? Prompts.CompactFeedback(spec, runner, code, visible, hidden)
                : Prompts.Feedback(runner, visible, hidden);
        }

        var record = new IterationRecord
        {
            Number = number,
            Attempt = attempt,
            Prompt = prompt,
            Reply = reply.Text,
            Code = code ?? "",
            Passed = visible is { Passed: true } && (hidden is null || hidden.Passed),
            TestsPassed = visible?.PassedCount ?? 0,
            TestsTotal = visible?.Tests.Count ?? spec.Tests.Count,
            HiddenPassed = hidden?.PassedCount ?? 0,
            HiddenTotal = spec.HiddenTests.Count == 0 ? 0 : hidden?.Tests.Count ?? 0,
            Feedback = feedback,
            TestOutput = visible is null ? "" : Prompts.Tail(DescribeRun(visible), 8000),
            OutputTokens = reply.OutputTokens,
            Duration = clock.Elapsed,
        };
        if (artifactsDirectory is not null) await WriteArtifactsAsync(artifactsDirectory, runner, record, visible, hidden, cancellationToken).ConfigureAwait(false);
        Diagnostics.AgentTelemetry.IterationDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("language", spec.Language));
        return record;
    }

    private static async Task<TestRunResult> RunTestsAsync(ILanguageRunner runner, JobSpec spec, string code, IReadOnlyList<TestFile> tests,
        string directory, CancellationToken cancellationToken)
    {
        using var activity = Diagnostics.AgentTelemetry.Source.StartActivity("sandbox");
        var clock = Stopwatch.StartNew();
        var result = await runner.RunAsync(code, tests, directory, cancellationToken).ConfigureAwait(false);
        Diagnostics.AgentTelemetry.SandboxDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("language", spec.Language));
        activity?.SetTag("mercury.tests.passed", result.PassedCount);
        return result;
    }

    internal static string DescribeRun(TestRunResult run)
    {
        var sb = new StringBuilder();
        foreach (var t in run.Tests) sb.AppendLine($"{(t.Passed ? "PASS" : "FAIL")} {t.Name}{(t.Passed ? "" : "\n" + t.Message.TrimEnd())}");
        sb.AppendLine($"process: {run.Exit}, {run.Duration.TotalSeconds:0.0} s");
        if (run.Stdout.Length > 0) sb.AppendLine("--- stdout ---").AppendLine(run.Stdout.TrimEnd());
        if (run.Stderr.Length > 0) sb.AppendLine("--- stderr ---").AppendLine(run.Stderr.TrimEnd());
        return sb.ToString();
    }

    /// <summary>The first attempt samples as the model likes; each fresh restart gets its own seed (fixed per job and
    /// attempt, so a resumed job repeats what it would have done) and <c>restartTemperature</c>.</summary>
    internal CoderRequest SamplingFor(JobSpec spec, int attempt, int maxOutputTokens)
    {
        if (attempt == 0 || restartTemperature <= 0) return new CoderRequest(maxOutputTokens);
        ulong hash = 14695981039346656037;
        foreach (char c in spec.Instruction) hash = (hash ^ c) * 1099511628211;
        return new CoderRequest(maxOutputTokens, Seed: (long)(hash % int.MaxValue) + attempt, Temperature: (float)restartTemperature);
    }

    private const int MaxArtifactChars = 64 * 1024;

    /// <summary>artifacts/iteration-NNN/: the code, the reply, the test output and any screenshot.</summary>
    private static async Task WriteArtifactsAsync(string root, ILanguageRunner runner, IterationRecord record,
        TestRunResult? visible, TestRunResult? hidden, CancellationToken cancellationToken)
    {
        string dir = Path.Combine(root, $"iteration-{record.Number:000}");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, runner.SolutionFileName), record.Code, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "reply.md"), record.Reply, cancellationToken).ConfigureAwait(false);
        // Test output is capped like the store's fields: a flood of output is not worth keeping on disk in full.
        if (visible is not null)
            await File.WriteAllTextAsync(Path.Combine(dir, "test-output.txt"), Prompts.HeadAndTail(DescribeRun(visible), MaxArtifactChars), cancellationToken).ConfigureAwait(false);
        if (hidden is not null) // kept for the operator; never shown to the model
            await File.WriteAllTextAsync(Path.Combine(dir, "hidden-test-output.txt"), Prompts.HeadAndTail(DescribeRun(hidden), MaxArtifactChars), cancellationToken).ConfigureAwait(false);
        foreach (var file in (visible?.Artifacts ?? []).Concat(hidden?.Artifacts ?? []))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
    }
}

/// <summary>How the loop talks to the model.</summary>
public enum PromptStyle
{
    /// <summary>Instruction, conventions and visible tests, then a growing conversation of feedback turns.</summary>
    Full,

    /// <summary>One self-contained turn per request in the format the embedded model was trained on (instruction; or
    /// instruction + previous attempt + failure), for small models with short contexts.</summary>
    Compact,
}
