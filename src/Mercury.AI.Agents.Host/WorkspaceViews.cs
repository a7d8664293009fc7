using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Host;

/// <summary>A step of a workspace job as the CLI (--json) and the HTTP API show it: the transcript.</summary>
public sealed record StepView(
    int Number, int Turn, string Kind, string Name, string CallId, string Input, string Output, bool? Passed,
    int OutputTokens, double Seconds, DateTimeOffset CreatedAt, int Claim)
{
    public static StepView From(StepRecord s) => new(
        s.Number, s.Turn, s.Kind.ToWire(), s.Name, s.CallId, s.Input, s.Output, s.Passed, s.OutputTokens,
        Math.Round(s.Duration.TotalSeconds, 2), s.CreatedAt, s.Claim);

    /// <summary>One line: a model turn and the calls it asked for, a tool call and the first line of its result, or the check.</summary>
    public string OneLine() => Kind switch
    {
        "model" => $"step {Number,3} turn {Turn,2}: model ({OutputTokens} tokens, {Seconds:0.0} s){(Input.Length > 0 ? ": " + Clip(Input) : "")}",
        "tool" => $"step {Number,3} turn {Turn,2}:   {Name}({Clip(Input, 70)}) → {Clip(Output)}",
        _ => $"step {Number,3} check: {(Passed == true ? "PASS" : "fail")} ({Seconds:0.0} s)",
    };

    private static string Clip(string text, int max = 90)
    {
        string line = text.Split('\n')[0].Trim();
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}

/// <summary>What a workspace job produced: the patch, the final check (visible and hidden tests), and its cost.</summary>
public sealed record WorkspaceResultView(
    string Id, string? Name, string State, string? Summary, string Diff, IReadOnlyList<string> ChangedFiles, CheckResult? Check,
    int Turns, int ToolCalls, int OutputTokens, double Seconds)
{
    public static WorkspaceResultView From(JobRecord job, IReadOnlyList<StepRecord> steps)
    {
        string diff = UnifiedDiff.ForJob(job.Spec, steps);
        var check = steps.LastOrDefault(s => s.Kind == StepKind.Check) is { } c ? CheckResult.Read(c) : null;
        return new WorkspaceResultView(job.Id, job.Spec.Name, job.State.ToWire(), job.Summary, diff, UnifiedDiff.Stat(diff).Select(f => f.Path).ToList(), check,
            steps.Count(s => s.Kind == StepKind.Model), steps.Count(s => s.Kind == StepKind.Tool), steps.Sum(s => s.OutputTokens),
            Math.Round(steps.Sum(s => s.Duration.TotalSeconds), 2));
    }
}
