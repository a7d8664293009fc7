using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Host;

/// <summary>What the CLI (--json) and the HTTP API show of a job.</summary>
public sealed record JobView(
    string Id, string? Name, string Language, string State, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, int Claims, bool CancelRequested, string? Summary, int? BestIteration, int? Iterations,
    string Kind = "function", int? Steps = null)
{
    public static JobView From(JobRecord j, int? iterations = null, int? steps = null) => new(
        j.Id, j.Spec.Name, j.Spec.Language, j.State.ToWire(), j.CreatedAt, j.StartedAt, j.FinishedAt, j.Claims,
        j.CancelRequested, j.Summary, j.BestIteration, iterations, j.Spec.Workspace is null ? "function" : "workspace", steps);
}

/// <summary>An iteration as shown; the full prompt and reply are in the artifacts and in `logs`.</summary>
public sealed record IterationView(
    int Number, int Attempt, bool Passed, int TestsPassed, int TestsTotal, int HiddenPassed, int HiddenTotal,
    int OutputTokens, double Seconds, DateTimeOffset CreatedAt, string Code, string Feedback, string TestOutput)
{
    public static IterationView From(IterationRecord i) => new(
        i.Number, i.Attempt, i.Passed, i.TestsPassed, i.TestsTotal, i.HiddenPassed, i.HiddenTotal, i.OutputTokens,
        Math.Round(i.Duration.TotalSeconds, 2), i.CreatedAt, i.Code, i.Feedback, i.TestOutput);

    public string OneLine() =>
        $"iteration {Number,2} (attempt {Attempt}): {(Passed ? "PASS" : "fail")}  visible {TestsPassed}/{TestsTotal}" +
        (HiddenTotal > 0 || HiddenPassed > 0 ? $"  hidden {HiddenPassed}/{HiddenTotal}" : "") +
        $"  {OutputTokens} tokens  {Seconds:0.0} s";
}
