using System.Text;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;

namespace Mercury.AI.Agents.Agent;

/// <summary>
/// What the model is told. The first prompt carries the instruction and the visible tests; later prompts carry a
/// trimmed failure summary. Hidden tests appear only as a count.
/// </summary>
public static class Prompts
{
    public const string CoderInstructions =
        "You are a careful programmer. You write a complete, working solution to the task you are given, so that the " +
        "given tests pass. You cannot change the tests. Reply with the whole solution in exactly one fenced code block, " +
        "and keep any explanation short.";

    /// <summary>The compact style sends no instructions: the client applies the system prompt the model was trained
    /// with (its folder's <c>generation_config.json</c>).</summary>
    public const string CompactInstructions = "";

    private const int MaxMessageChars = 1500;
    private const int StderrTailLines = 20;

    public static string Initial(JobSpec spec, ILanguageRunner runner)
    {
        var sb = new StringBuilder();
        sb.AppendLine("Task:").AppendLine(spec.Instruction.Trim()).AppendLine();
        sb.AppendLine($"Language: {runner.Language}. {runner.SolutionConventions}").AppendLine();
        sb.AppendLine("These tests will be run against your solution:");
        foreach (var test in spec.Tests)
            sb.AppendLine($"--- {test.Name} ---").AppendLine(Fenced(runner, test.Content));
        if (spec.HiddenTests.Count > 0) sb.AppendLine("More tests that you cannot see will also be run.");
        sb.AppendLine().Append($"Reply with the complete solution ({runner.SolutionFileName}) in one ```{runner.FenceTags[0]} code block.");
        return sb.ToString();
    }

    /// <summary>Compact style, first turn: the instruction alone, as the embedded model saw tasks in training.</summary>
    public static string CompactInitial(JobSpec spec) => spec.Instruction.Trim();

    /// <summary>Compact style, refinement: instruction, previous attempt and the failure tail in one turn — the
    /// training corpus's refinement format, so a small model with a short context sees no growing history.</summary>
    public static string CompactFeedback(JobSpec spec, ILanguageRunner runner, string? code, TestRunResult? visible, TestRunResult? hidden)
    {
        var sb = new StringBuilder(spec.Instruction.Trim()).AppendLine().AppendLine();
        if (code is null) return sb.Append(NoCode(runner)).ToString();
        sb.AppendLine("My previous attempt:").AppendLine(Fenced(runner, code));
        string failure = visible is { Passed: false }
            ? string.Join('\n', visible.Tests.Where(t => !t.Passed).Take(1).Select(t => Tail(t.Message, 400)).Append(TailLines(visible.Stderr, 6))).Trim()
            : "It passes the given tests but fails hidden ones.";
        sb.AppendLine("It fails the tests:").AppendLine("```").AppendLine(failure).AppendLine("```");
        return sb.Append("Fix the code.").ToString();
    }

    public static string NoCode(ILanguageRunner runner) =>
        $"Your reply had no code block. Reply with the complete solution in one ```{runner.FenceTags[0]} code block.";

    /// <summary>The failure summary: failing tests with their assertion, the process exit, and the stderr tail.</summary>
    public static string Feedback(ILanguageRunner runner, TestRunResult visible, TestRunResult? hidden)
    {
        var sb = new StringBuilder();
        if (!visible.Passed)
        {
            var failing = visible.Tests.Where(t => !t.Passed).ToList();
            sb.AppendLine($"Your solution failed {failing.Count} of {visible.Tests.Count} tests.");
            foreach (var test in failing.Take(3))
                sb.AppendLine().AppendLine($"FAILED: {test.Name}").AppendLine(HeadAndTail(test.Message, MaxMessageChars));
            if (failing.Count > 3) sb.AppendLine($"(and {failing.Count - 3} more failing tests)");
            string stderr = TailLines(visible.Stderr, StderrTailLines);
            if (stderr.Length > 0 && !failing.Any(t => t.Message.Contains(stderr.Trim(), StringComparison.Ordinal)))
                sb.AppendLine().AppendLine("stderr (last lines):").AppendLine(Tail(stderr, MaxMessageChars));
            sb.AppendLine().AppendLine($"Process: {visible.Exit}.");
        }
        else if (hidden is { Passed: false })
        {
            sb.AppendLine($"Your solution passes the visible tests but fails {hidden.Tests.Count(t => !t.Passed)} of {hidden.Tests.Count} hidden tests (not shown).");
            sb.AppendLine("Check edge cases and the exact wording of the task.");
        }
        sb.AppendLine().Append($"Fix the code. Reply with the complete corrected solution in one ```{runner.FenceTags[0]} code block.");
        return sb.ToString();
    }

    private static string Fenced(ILanguageRunner runner, string code) =>
        $"```{runner.FenceTags[0]}\n{code.TrimEnd()}\n```";

    /// <summary>Both ends of a long message: node puts the assertion first, Python puts it last.</summary>
    internal static string HeadAndTail(string text, int maxChars)
    {
        text = text.TrimEnd();
        if (text.Length <= maxChars) return text;
        int half = maxChars / 2;
        return text[..half] + $"\n… ({text.Length - 2 * half} characters cut) …\n" + text[^half..];
    }

    internal static string Tail(string text, int maxChars) =>
        text.Length <= maxChars ? text.TrimEnd() : "…" + text[^maxChars..].TrimEnd();

    internal static string TailLines(string text, int lines) =>
        string.Join('\n', text.TrimEnd().Split('\n').TakeLast(lines)).Trim();
}
