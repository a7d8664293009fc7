using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.PostgreSql;

/// <summary>
/// A lease on one job row. Every statement is guarded by the lease generation (<c>claims</c>), and a guarded UPDATE
/// takes the row lock, so a write either lands before a takeover (which then waits for it) or is refused after it.
/// Each write is safe to retry after an unknown outcome: a retry recognises its own landed write by the generation.
/// </summary>
internal sealed class PostgresFetchedJob(PostgresJobStore store, JobRecord job, TimeSpan leaseDuration) : IFetchedJob
{
    private const string Held = "id = @id AND claims = @generation AND state = 'running'";

    public JobRecord Job { get; } = job;

    public int Generation => Job.Claims;

    private (string, object?) Id => ("@id", Job.Id);

    private (string, object?) Gen => ("@generation", Generation);

    public Task<HeartbeatResult> HeartbeatAsync(CancellationToken cancellationToken = default) => store.Retry(async ct =>
    {
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        var cancel = await Sql.ScalarAsync(connection, null, $"UPDATE jobs SET lease_expires_at = now() + @lease WHERE {Held} RETURNING cancel_requested",
            ct, Id, Gen, ("@lease", leaseDuration)).ConfigureAwait(false);
        return cancel is bool requested ? new HeartbeatResult(true, requested) : new HeartbeatResult(false, false);
    }, cancellationToken);

    public Task AppendIterationAsync(IterationRecord iteration, CancellationToken cancellationToken = default) =>
        AppendAsync("iterations", StoreRows.IterationColumns, iteration.Number, StoreRows.StoredCharsSql, storedBefore =>
        {
            var it = store.Limits.Cap(iteration, storedBefore);
            return (StoreRows.IterationValues("@"), StoreRows.IterationParameters("@", Job.Id, it, Generation, it.CreatedAt.ToUniversalTime()));
        }, cancellationToken);

    public Task AppendStepAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        _ = store.Limits.Cap(step, 0); // refuses oversized data before anything is written
        return AppendAsync("steps", StoreRows.StepColumns, step.Number, StoreRows.StepStoredCharsSql, storedBefore =>
        {
            var s = store.Limits.Cap(step, storedBefore);
            return (StoreRows.StepValues("@"), StoreRows.StepParameters("@", Job.Id, s, Generation, s.CreatedAt.ToUniversalTime()));
        }, cancellationToken);
    }

    /// <summary>Inserts row <paramref name="number"/> of the job into <paramref name="table"/> under the lease, capped by
    /// what the job's other rows already hold; safe to retry after an unknown outcome.</summary>
    private Task AppendAsync(string table, string columns, int number, string storedCharsSql,
        Func<long, (string Values, (string, object?)[] Parameters)> row, CancellationToken cancellationToken) => store.Retry(async ct =>
    {
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        // Renew while writing: proof of the lease (and the row lock, held to commit) and a heartbeat in one.
        if (await Sql.ExecuteAsync(connection, transaction, $"UPDATE jobs SET lease_expires_at = now() + @lease WHERE {Held}",
                ct, Id, Gen, ("@lease", leaseDuration)).ConfigureAwait(false) != 1)
            throw new LeaseLostException(Job.Id);
        // The output cap counts the job's other rows, so a retry caps this one exactly as its first try did.
        long storedBefore = Convert.ToInt64(await Sql.ScalarAsync(connection, transaction,
            $"SELECT {storedCharsSql} FROM {table} WHERE job_id = @id AND number <> @number", ct, Id, ("@number", number)).ConfigureAwait(false));
        var (values, parameters) = row(storedBefore);
        int inserted = await Sql.ExecuteAsync(connection, transaction,
            $"INSERT INTO {table} (job_id, {columns}) VALUES ({values}) ON CONFLICT (job_id, number) DO NOTHING", ct, parameters).ConfigureAwait(false);
        if (inserted == 0)
        {
            // The row exists: our own earlier try whose commit answer was lost (same generation) — done, nothing twice;
            // anything else would mean two holders of one generation, which the guard above rules out.
            var claim = await Sql.ScalarAsync(connection, transaction, $"SELECT claim FROM {table} WHERE job_id = @id AND number = @number",
                ct, Id, ("@number", number)).ConfigureAwait(false);
            if (Convert.ToInt32(claim) != Generation)
                throw new InvalidOperationException($"Row {number} of {table} of job {Job.Id} was stored by claim {claim}, not by this claim ({Generation}).");
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task CompleteAsync(JobState state, string summary, int? bestIteration, CancellationToken cancellationToken = default)
    {
        if (!state.IsFinal()) throw new ArgumentException($"{state} is not a final state", nameof(state));
        return store.Retry(async ct =>
        {
            await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
            int done = await Sql.ExecuteAsync(connection, null, $"""
                UPDATE jobs SET state = @state, summary = @summary, best_iteration = @best, finished_at = now(),
                                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                WHERE {Held}
                """, ct, ("@state", state.ToWire()), ("@summary", summary), ("@best", bestIteration), Id, Gen).ConfigureAwait(false);
            if (done == 1) return true;
            // Exactly one completion record: a retry whose first try landed finds the job already ended by this generation.
            await using var reader = await Sql.ReaderAsync(connection, "SELECT state, claims, summary FROM jobs WHERE id = @id", ct, Id).ConfigureAwait(false);
            bool ours = await reader.ReadAsync(ct).ConfigureAwait(false) && reader.GetString(0) == state.ToWire()
                && reader.GetInt32(1) == Generation && reader.GetString(2) == summary;
            return ours ? true : throw new LeaseLostException(Job.Id);
        }, cancellationToken);
    }

    public Task RequeueAsync(CancellationToken cancellationToken = default) => store.Retry(async ct =>
    {
        await using var connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await Sql.ExecuteAsync(connection, null,
            $"UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE {Held}", ct, Id, Gen).ConfigureAwait(false);
    }, cancellationToken);
}
