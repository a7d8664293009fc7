using System.Data.Common;
using System.Text.Json;
using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Storage;

/// <summary>
/// Row ↔ record mapping shared by the SQLite and PostgreSQL stores: the same columns in the same order, so the two
/// stores differ only in SQL dialect and in how a time is stored (Unix ms vs timestamptz).
/// </summary>
internal static class StoreRows
{
    public const string JobColumns =
        "id, spec_json, state, created_at, started_at, finished_at, claims, cancel_requested, summary, best_iteration, lease_owner";

    public const string IterationColumns =
        "number, attempt, prompt, reply, code, passed, tests_passed, tests_total, hidden_passed, hidden_total, " +
        "feedback, test_output, output_tokens, duration_ms, created_at, claim";

    public const string StepColumns =
        "number, turn, kind, name, call_id, input, output, data, passed, output_tokens, duration_ms, created_at, claim";

    public static JobRecord ReadJob(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) => new()
    {
        Id = r.GetString(0),
        Spec = JsonSerializer.Deserialize<JobSpec>(r.GetString(1), JobSpecParser.Json)!,
        State = JobStateExtensions.ParseWire(r.GetString(2)),
        CreatedAt = time(r, 3),
        StartedAt = r.IsDBNull(4) ? null : time(r, 4),
        FinishedAt = r.IsDBNull(5) ? null : time(r, 5),
        Claims = Convert.ToInt32(r.GetValue(6)),
        CancelRequested = Convert.ToBoolean(r.GetValue(7)),
        Summary = r.IsDBNull(8) ? null : r.GetString(8),
        BestIteration = r.IsDBNull(9) ? null : Convert.ToInt32(r.GetValue(9)),
        LeaseOwner = r.IsDBNull(10) ? null : r.GetString(10),
    };

    public static IterationRecord ReadIteration(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) => new()
    {
        Number = Convert.ToInt32(r.GetValue(0)),
        Attempt = Convert.ToInt32(r.GetValue(1)),
        Prompt = r.GetString(2),
        Reply = r.GetString(3),
        Code = r.GetString(4),
        Passed = Convert.ToBoolean(r.GetValue(5)),
        TestsPassed = Convert.ToInt32(r.GetValue(6)),
        TestsTotal = Convert.ToInt32(r.GetValue(7)),
        HiddenPassed = Convert.ToInt32(r.GetValue(8)),
        HiddenTotal = Convert.ToInt32(r.GetValue(9)),
        Feedback = r.GetString(10),
        TestOutput = r.GetString(11),
        OutputTokens = Convert.ToInt32(r.GetValue(12)),
        Duration = TimeSpan.FromMilliseconds(Convert.ToInt64(r.GetValue(13))),
        CreatedAt = time(r, 14),
        Claim = Convert.ToInt32(r.GetValue(15)),
    };

    /// <summary>The iteration's values in <see cref="IterationColumns"/> order after (job_id), named p0..p16.</summary>
    public static (string Name, object? Value)[] IterationParameters(string prefix, string jobId, IterationRecord it, int claim, object createdAt) =>
    [
        (prefix + "job", jobId), (prefix + "number", it.Number), (prefix + "attempt", it.Attempt), (prefix + "prompt", it.Prompt),
        (prefix + "reply", it.Reply), (prefix + "code", it.Code), (prefix + "passed", it.Passed), (prefix + "tp", it.TestsPassed),
        (prefix + "tt", it.TestsTotal), (prefix + "hp", it.HiddenPassed), (prefix + "ht", it.HiddenTotal),
        (prefix + "feedback", it.Feedback), (prefix + "output", it.TestOutput), (prefix + "tokens", it.OutputTokens),
        (prefix + "ms", (long)it.Duration.TotalMilliseconds), (prefix + "created", createdAt), (prefix + "claim", claim),
    ];

    public static StepRecord ReadStep(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) => new()
    {
        Number = Convert.ToInt32(r.GetValue(0)),
        Turn = Convert.ToInt32(r.GetValue(1)),
        Kind = StepKindExtensions.ParseWire(r.GetString(2)),
        Name = r.GetString(3),
        CallId = r.GetString(4),
        Input = r.GetString(5),
        Output = r.GetString(6),
        Data = r.GetString(7),
        Passed = r.IsDBNull(8) ? null : Convert.ToBoolean(r.GetValue(8)),
        OutputTokens = Convert.ToInt32(r.GetValue(9)),
        Duration = TimeSpan.FromMilliseconds(Convert.ToInt64(r.GetValue(10))),
        CreatedAt = time(r, 11),
        Claim = Convert.ToInt32(r.GetValue(12)),
    };

    /// <summary>The step's values in <see cref="StepColumns"/> order after (job_id).</summary>
    public static (string Name, object? Value)[] StepParameters(string prefix, string jobId, StepRecord s, int claim, object createdAt) =>
    [
        (prefix + "job", jobId), (prefix + "number", s.Number), (prefix + "turn", s.Turn), (prefix + "kind", s.Kind.ToWire()),
        (prefix + "name", s.Name), (prefix + "call", s.CallId), (prefix + "input", s.Input), (prefix + "output", s.Output),
        (prefix + "data", s.Data), (prefix + "passed", s.Passed), (prefix + "tokens", s.OutputTokens),
        (prefix + "ms", (long)s.Duration.TotalMilliseconds), (prefix + "created", createdAt), (prefix + "claim", claim),
    ];

    /// <summary>The VALUES list matching <see cref="StepParameters"/>.</summary>
    public static string StepValues(string prefix) =>
        string.Join(", ", new[] { "job", "number", "turn", "kind", "name", "call", "input", "output", "data", "passed", "tokens",
            "ms", "created", "claim" }.Select(n => prefix + n));

    /// <summary>The characters (<see cref="JobStoreLimits.StoredChars(StepRecord)"/>) of the selected steps, for the per-job output cap.</summary>
    public const string StepStoredCharsSql = "COALESCE(SUM(length(input) + length(output)), 0)";

    /// <summary>The VALUES list matching <see cref="IterationParameters"/>.</summary>
    public static string IterationValues(string prefix) =>
        string.Join(", ", new[] { "job", "number", "attempt", "prompt", "reply", "code", "passed", "tp", "tt", "hp", "ht",
            "feedback", "output", "tokens", "ms", "created", "claim" }.Select(n => prefix + n));

    /// <summary>The characters (<see cref="JobStoreLimits.StoredChars"/>) of the selected iterations, for the per-job output cap.</summary>
    public const string StoredCharsSql =
        "COALESCE(SUM(length(prompt) + length(reply) + length(code) + length(feedback) + length(test_output)), 0)";

    /// <summary>The ids retention deletes: finished before the cutoff, or beyond the most recent <c>keep</c> finished.</summary>
    public static string PurgeCandidates(string before, string keep) => $"""
        SELECT id FROM jobs
        WHERE state IN ('succeeded', 'failed', 'cancelled', 'error')
          AND (finished_at < {before} OR id NOT IN (
                SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled', 'error') ORDER BY finished_at DESC, id LIMIT {keep}))
        """;

    /// <summary>Counts rows of <c>SELECT state, COUNT(*) ... GROUP BY state</c>.</summary>
    public static async Task<IReadOnlyDictionary<JobState, int>> ReadCountsAsync(DbDataReader r, CancellationToken cancellationToken)
    {
        var counts = Enum.GetValues<JobState>().ToDictionary(s => s, _ => 0);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            counts[JobStateExtensions.ParseWire(r.GetString(0))] = Convert.ToInt32(r.GetValue(1));
        return counts;
    }
}
