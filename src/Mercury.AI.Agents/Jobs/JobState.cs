namespace Mercury.AI.Agents.Jobs;

/// <summary>
/// Where a job is. Queued → Running → one of the final states. A Running job whose lease expired (its host died)
/// is claimable again and resumes from its last finished iteration.
/// </summary>
public enum JobState
{
    Queued,
    Running,
    /// <summary>A candidate passed all visible and hidden tests.</summary>
    Succeeded,
    /// <summary>The budget ran out; the best candidate is kept.</summary>
    Failed,
    Cancelled,
    /// <summary>The host could not run the job (no chat client, sandbox refused, ...).</summary>
    Error,
}

public static class JobStateExtensions
{
    public static bool IsFinal(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Error;

    public static string ToWire(this JobState state) => state.ToString().ToLowerInvariant();

    public static JobState ParseWire(string value) => Enum.Parse<JobState>(value, ignoreCase: true);
}

/// <summary>A job as stored.</summary>
public sealed record JobRecord
{
    public required string Id { get; init; }
    public required JobSpec Spec { get; init; }
    public required JobState State { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>How many times a worker claimed it (more than one: it was resumed after a crash or shutdown).</summary>
    public int Claims { get; init; }

    public bool CancelRequested { get; init; }

    /// <summary>The host (worker id) that holds the lease while Running; null otherwise.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>One line: why it ended.</summary>
    public string? Summary { get; init; }

    public int? BestIteration { get; init; }
}

/// <summary>One model call and the test run of its code, written before the next iteration starts.</summary>
public sealed record IterationRecord
{
    public required int Number { get; init; }

    /// <summary>0 for the first attempt, 1 after the first fresh restart, ...</summary>
    public required int Attempt { get; init; }

    public required string Prompt { get; init; }
    public required string Reply { get; init; }

    /// <summary>The code extracted from the reply; empty when there was none.</summary>
    public required string Code { get; init; }

    public required bool Passed { get; init; }
    public required int TestsPassed { get; init; }
    public required int TestsTotal { get; init; }
    public int HiddenPassed { get; init; }
    public int HiddenTotal { get; init; }

    /// <summary>The trimmed failure summary that is (or would be) the next prompt.</summary>
    public required string Feedback { get; init; }

    /// <summary>Test output (visible tests only), trimmed, for logs.</summary>
    public string TestOutput { get; init; } = "";

    public required int OutputTokens { get; init; }
    public required TimeSpan Duration { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The lease generation (claim) that stored it; set by the store, for audits of resumed jobs.</summary>
    public int Claim { get; init; }

    /// <summary>Orders candidates: all passed first, then the most tests passed.</summary>
    public double Score => (Passed ? 1000 : 0) + TestsPassed + HiddenPassed;
}
