using Mercury.AI.Agents.Jobs;
using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Storage;

/// <summary>A lease on one job row. Every statement is guarded by the lease token, so a worker that lost its lease
/// (it stalled past the expiry and another worker claimed the job) can no longer write anything.</summary>
internal sealed class SqliteFetchedJob(SqliteJobStore store, JobRecord job, string leaseToken, TimeSpan leaseDuration) : IFetchedJob
{
    public JobRecord Job { get; } = job;

    public Task<HeartbeatResult> HeartbeatAsync(CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        await using var connection = store.Open();
        int renewed = await SqliteJobStore.ExecuteAsync(connection, null,
            "UPDATE jobs SET lease_expires_at = $expires WHERE id = $id AND lease_token = $token AND state = 'running'",
            cancellationToken, ("$expires", store.NowMs + (long)leaseDuration.TotalMilliseconds), ("$id", Job.Id), ("$token", leaseToken)).ConfigureAwait(false);
        var cancel = await SqliteJobStore.ScalarAsync(connection, null, "SELECT cancel_requested FROM jobs WHERE id = $id",
            cancellationToken, ("$id", Job.Id)).ConfigureAwait(false);
        return new HeartbeatResult(renewed == 1, Convert.ToInt64(cancel ?? 0L) != 0);
    });

    public Task AppendIterationAsync(IterationRecord iteration, CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        await using var connection = store.Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Renew while writing: proof of the lease and a heartbeat in one.
        int held = await SqliteJobStore.ExecuteAsync(connection, transaction,
            "UPDATE jobs SET lease_expires_at = $expires WHERE id = $id AND lease_token = $token AND state = 'running'",
            cancellationToken, ("$expires", store.NowMs + (long)leaseDuration.TotalMilliseconds), ("$id", Job.Id), ("$token", leaseToken)).ConfigureAwait(false);
        if (held != 1) throw new LeaseLostException(Job.Id);
        long storedBefore = Convert.ToInt64(await SqliteJobStore.ScalarAsync(connection, transaction,
            "SELECT COALESCE(SUM(length(prompt) + length(reply) + length(code) + length(feedback) + length(test_output)), 0) FROM iterations WHERE job_id = $id",
            cancellationToken, ("$id", Job.Id)).ConfigureAwait(false));
        var it = store.Limits.Cap(iteration, storedBefore);
        await SqliteJobStore.ExecuteAsync(connection, transaction, """
            INSERT INTO iterations (job_id, number, attempt, prompt, reply, code, passed, tests_passed, tests_total,
                                    hidden_passed, hidden_total, feedback, test_output, output_tokens, duration_ms, created_at)
            VALUES ($job, $number, $attempt, $prompt, $reply, $code, $passed, $tp, $tt, $hp, $ht, $feedback, $output, $tokens, $ms, $created)
            """, cancellationToken,
            ("$job", Job.Id), ("$number", it.Number), ("$attempt", it.Attempt), ("$prompt", it.Prompt), ("$reply", it.Reply),
            ("$code", it.Code), ("$passed", it.Passed ? 1 : 0), ("$tp", it.TestsPassed), ("$tt", it.TestsTotal),
            ("$hp", it.HiddenPassed), ("$ht", it.HiddenTotal), ("$feedback", it.Feedback), ("$output", it.TestOutput),
            ("$tokens", it.OutputTokens), ("$ms", (long)it.Duration.TotalMilliseconds), ("$created", it.CreatedAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    });

    public Task CompleteAsync(JobState state, string summary, int? bestIteration, CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        if (!state.IsFinal()) throw new ArgumentException($"{state} is not a final state", nameof(state));
        await using var connection = store.Open();
        int done = await SqliteJobStore.ExecuteAsync(connection, null, """
            UPDATE jobs SET state = $state, summary = $summary, best_iteration = $best, finished_at = $now,
                            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            WHERE id = $id AND lease_token = $token AND state = 'running'
            """, cancellationToken, ("$state", state.ToWire()), ("$summary", summary), ("$best", bestIteration),
            ("$now", store.NowMs), ("$id", Job.Id), ("$token", leaseToken)).ConfigureAwait(false);
        if (done != 1) throw new LeaseLostException(Job.Id);
        return 0;
    });

    public Task RequeueAsync(CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        await using var connection = store.Open();
        await SqliteJobStore.ExecuteAsync(connection, null, """
            UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            WHERE id = $id AND lease_token = $token AND state = 'running'
            """, cancellationToken, ("$id", Job.Id), ("$token", leaseToken)).ConfigureAwait(false);
        return 0;
    });
}
