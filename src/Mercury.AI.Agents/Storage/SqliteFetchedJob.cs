using Mercury.AI.Agents.Jobs;
using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Storage;

/// <summary>A lease on one job row. Every statement is guarded by the lease generation (the claim count), so a worker
/// that lost its lease (it stalled past the expiry and another worker claimed the job) can no longer write anything.</summary>
internal sealed class SqliteFetchedJob(SqliteJobStore store, JobRecord job, TimeSpan leaseDuration) : IFetchedJob
{
    private const string Held = "id = $id AND claims = $generation AND state = 'running'";

    public JobRecord Job { get; } = job;

    public int Generation => Job.Claims;

    public Task<HeartbeatResult> HeartbeatAsync(CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        await using var connection = store.Open();
        int renewed = await Renew(connection, null, cancellationToken).ConfigureAwait(false);
        var cancel = await SqliteJobStore.ScalarAsync(connection, null, "SELECT cancel_requested FROM jobs WHERE id = $id",
            cancellationToken, ("$id", Job.Id)).ConfigureAwait(false);
        return new HeartbeatResult(renewed == 1, Convert.ToInt64(cancel ?? 0L) != 0);
    });

    private Task<int> Renew(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken) =>
        SqliteJobStore.ExecuteAsync(connection, transaction, $"UPDATE jobs SET lease_expires_at = $expires WHERE {Held}", cancellationToken,
            ("$expires", store.NowMs + (long)leaseDuration.TotalMilliseconds), ("$id", Job.Id), ("$generation", Generation));

    public Task AppendIterationAsync(IterationRecord iteration, CancellationToken cancellationToken = default) =>
        AppendAsync("iterations", StoreRows.IterationColumns, iteration.Number, StoreRows.StoredCharsSql, storedBefore =>
        {
            var it = store.Limits.Cap(iteration, storedBefore);
            return (StoreRows.IterationValues("$"), StoreRows.IterationParameters("$", Job.Id, it, Generation, it.CreatedAt.ToUnixTimeMilliseconds()));
        }, cancellationToken);

    public Task AppendStepAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        _ = store.Limits.Cap(step, 0); // refuses oversized data before anything is written
        return AppendAsync("steps", StoreRows.StepColumns, step.Number, StoreRows.StepStoredCharsSql, storedBefore =>
        {
            var s = store.Limits.Cap(step, storedBefore);
            return (StoreRows.StepValues("$"), StoreRows.StepParameters("$", Job.Id, s, Generation, s.CreatedAt.ToUnixTimeMilliseconds()));
        }, cancellationToken);
    }

    /// <summary>Inserts row <paramref name="number"/> of the job into <paramref name="table"/> under the lease, capped by
    /// what the job's other rows already hold; idempotent for this claim.</summary>
    private Task AppendAsync(string table, string columns, int number, string storedCharsSql,
        Func<long, (string Values, (string, object?)[] Parameters)> row, CancellationToken cancellationToken) => store.GuardAsync(async () =>
    {
        await using var connection = store.Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Renew while writing: proof of the lease and a heartbeat in one.
        if (await Renew(connection, transaction, cancellationToken).ConfigureAwait(false) != 1) throw new LeaseLostException(Job.Id);
        long storedBefore = Convert.ToInt64(await SqliteJobStore.ScalarAsync(connection, transaction,
            $"SELECT {storedCharsSql} FROM {table} WHERE job_id = $id AND number <> $number",
            cancellationToken, ("$id", Job.Id), ("$number", number)).ConfigureAwait(false));
        var (values, parameters) = row(storedBefore);
        int inserted = await SqliteJobStore.ExecuteAsync(connection, transaction,
            $"INSERT INTO {table} (job_id, {columns}) VALUES ({values}) ON CONFLICT (job_id, number) DO NOTHING", cancellationToken, parameters).ConfigureAwait(false);
        // Already there: this claim's own earlier write (a retry) is a no-op; another claim's row cannot be under the guard.
        if (inserted == 0 && Convert.ToInt32(await SqliteJobStore.ScalarAsync(connection, transaction,
                $"SELECT claim FROM {table} WHERE job_id = $id AND number = $number", cancellationToken, ("$id", Job.Id), ("$number", number)).ConfigureAwait(false)) != Generation)
            throw new InvalidOperationException($"Row {number} of {table} of job {Job.Id} was stored by another claim.");
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    });

    public Task CompleteAsync(JobState state, string summary, int? bestIteration, CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        if (!state.IsFinal()) throw new ArgumentException($"{state} is not a final state", nameof(state));
        await using var connection = store.Open();
        int done = await SqliteJobStore.ExecuteAsync(connection, null, $"""
            UPDATE jobs SET state = $state, summary = $summary, best_iteration = $best, finished_at = $now,
                            lease_owner = NULL, lease_expires_at = NULL
            WHERE {Held}
            """, cancellationToken, ("$state", state.ToWire()), ("$summary", summary), ("$best", bestIteration),
            ("$now", store.NowMs), ("$id", Job.Id), ("$generation", Generation)).ConfigureAwait(false);
        if (done == 1) return;
        // One completion record: repeating this claim's own completion is a no-op; anything else is a lost lease.
        await using var reader = await SqliteJobStore.ReaderAsync(connection, "SELECT state, claims, summary FROM jobs WHERE id = $id",
            cancellationToken, ("$id", Job.Id)).ConfigureAwait(false);
        bool ours = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.GetString(0) == state.ToWire()
            && reader.GetInt32(1) == Generation && reader.GetString(2) == summary;
        if (!ours) throw new LeaseLostException(Job.Id);
    });

    public Task RequeueAsync(CancellationToken cancellationToken = default) => store.GuardAsync(async () =>
    {
        await using var connection = store.Open();
        await SqliteJobStore.ExecuteAsync(connection, null, $"""
            UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE {Held}
            """, cancellationToken, ("$id", Job.Id), ("$generation", Generation)).ConfigureAwait(false);
    });
}
