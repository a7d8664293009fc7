using System.Data.Common;
using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly;

namespace Mercury.AI.Agents.PostgreSql;

/// <summary>
/// <see cref="IJobStore"/> on PostgreSQL, for many agent hosts sharing one queue. Claims use
/// <c>SELECT … FOR UPDATE SKIP LOCKED</c>, so concurrent hosts never wait on each other's candidate row; leases are
/// measured on the database clock (<c>now()</c>), so host clocks do not matter; every write of a claim is fenced by
/// its lease generation. Each operation is retried on connection loss (<see cref="PostgresRetry"/>) and is written so
/// that running it again after an unknown outcome neither loses nor duplicates anything. It enforces
/// <see cref="PostgresJobStoreOptions.Limits"/> as the SQLite store does, and a server it cannot use (unreachable past the
/// retries, refusing the login, out of disk) surfaces as <see cref="JobStoreUnavailableException"/> saying what to check.
/// Create it with <see cref="OpenAsync"/>, which brings the schema up to date.
/// </summary>
public sealed partial class PostgresJobStore : IJobStore, IHostRegistry, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private readonly string _schema;

    private PostgresJobStore(PostgresJobStoreOptions options, ILogger logger)
    {
        _logger = logger;
        _schema = options.Schema;
        _dataSource = NpgsqlDataSource.Create(options.ToNpgsqlConnectionString());
        _retry = PostgresRetry.Create(options, logger);
        Limits = options.Limits;
        Description = $"PostgreSQL {PostgresJobStoreOptions.Redact(options.ConnectionString)} (schema {options.Schema})";
    }

    /// <summary>Where the jobs are, for logs and `status` (no password).</summary>
    public string Description { get; }

    public JobStoreLimits Limits { get; }

    /// <summary>Connects (with retries) and migrates the schema to <see cref="SchemaVersion"/>.</summary>
    public static async Task<PostgresJobStore> OpenAsync(PostgresJobStoreOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var store = new PostgresJobStore(options, logger ?? NullLogger.Instance);
        await store.Retry(ct => store.MigrateAsync(options.Schema, ct), cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <summary>Runs an operation with retries; a server that stays unusable becomes <see cref="JobStoreUnavailableException"/>.</summary>
    internal async Task<T> Retry<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        try { return await _retry.ExecuteAsync(async ct => await operation(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (PostgresRetry.Unavailable(e, Description) is { } unavailable) { throw unavailable; }
    }

    internal async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    internal static readonly Func<DbDataReader, int, DateTimeOffset> Time = (r, i) => r.GetFieldValue<DateTimeOffset>(i);

    public Task<string> EnqueueAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        // The id is chosen before the first try: a retry after a lost commit acknowledgement finds its own row
        // (ON CONFLICT DO NOTHING) instead of queueing the job twice.
        string id = $"j-{DateTime.UtcNow:yyyyMMdd}-{Guid.NewGuid().ToString("N")[..8]}";
        string json = JsonSerializer.Serialize(spec, JobSpecParser.Json);
        return Retry(async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            // Enqueues take turns (a lock per schema, to the commit), so concurrent hosts cannot overfill the queue.
            await Sql.ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext('mercury_agents_enqueue:' || @schema))",
                ct, ("@schema", _schema)).ConfigureAwait(false);
            if (await Sql.ScalarAsync(connection, transaction, "SELECT 1 FROM jobs WHERE id = @id", ct, ("@id", id)).ConfigureAwait(false) is not null)
                return id; // a retry whose first try committed
            long queued = Convert.ToInt64(await Sql.ScalarAsync(connection, transaction, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'", ct).ConfigureAwait(false));
            if (queued >= Limits.MaxQueuedJobs) throw new JobQueueFullException(Limits.MaxQueuedJobs);
            await Sql.ExecuteAsync(connection, transaction, """
                INSERT INTO jobs (id, name, language, spec_json, state) VALUES (@id, @name, @language, @spec, 'queued')
                """, ct, ("@id", id), ("@name", spec.Name), ("@language", spec.Language.ToLowerInvariant()), ("@spec", json)).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return id;
        }, cancellationToken);
    }

    public Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default) =>
        FetchAsync(workerId, leaseDuration, null, cancellationToken);

    public Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, string jobId, CancellationToken cancellationToken = default) =>
        FetchAsync(workerId, leaseDuration, jobId, cancellationToken);

    private Task<IFetchedJob?> FetchAsync(string workerId, TimeSpan leaseDuration, string? onlyId, CancellationToken cancellationToken)
    {
        // The claim token names this claim across retries: if a try committed but its answer was lost, the next try
        // finds the job it already holds instead of claiming a second one and stranding the first until its lease ends.
        string token = Guid.NewGuid().ToString("N");
        bool retrying = false;
        return Retry<IFetchedJob?>(async ct =>
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            if (retrying && await ReadOneJobAsync(connection, "WHERE lease_token = @token AND state = 'running'", ct, ("@token", token)).ConfigureAwait(false) is { } mine)
                return new PostgresFetchedJob(this, mine, leaseDuration);
            retrying = true;

            // A running job whose host died while a cancel was pending ends as cancelled instead of being resumed.
            await Sql.ExecuteAsync(connection, null, """
                UPDATE jobs SET state = 'cancelled', finished_at = now(), summary = 'cancelled', lease_owner = NULL, lease_token = NULL
                WHERE state = 'running' AND cancel_requested AND lease_expires_at < now()
                """, ct).ConfigureAwait(false);
            // A poison job: every worker that took it died before it finished. It is not handed out again.
            await Sql.ExecuteAsync(connection, null, $"""
                UPDATE jobs SET state = 'error', finished_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                                summary = {JobStoreLimits.PoisonSummarySql("expired_leases + 1")}
                WHERE state = 'running' AND NOT cancel_requested AND lease_expires_at < now() AND expired_leases + 1 >= @max
                """, ct, ("@max", Limits.MaxExpiredLeases)).ConfigureAwait(false);

            // One statement: lock the oldest claimable row that no other claimer has locked (SKIP LOCKED: claimers never
            // queue behind each other), and start a new lease generation on it. Taking over a running job (its lease
            // expired) counts towards the poison-job limit, and one at the limit is never taken (the statement above
            // ends it; this guard covers a lease that ran out in between).
            var job = await ReadOneJobAsync(connection, $"""
                UPDATE jobs j SET state = 'running', lease_owner = @owner, lease_token = @token,
                                  expired_leases = j.expired_leases + CASE WHEN j.state = 'running' THEN 1 ELSE 0 END,
                                  lease_expires_at = now() + @lease, claims = j.claims + 1, started_at = COALESCE(j.started_at, now())
                FROM (SELECT id FROM jobs
                      WHERE NOT cancel_requested
                        AND (state = 'queued' OR (state = 'running' AND lease_expires_at < now() AND expired_leases + 1 < @max))
                        {(onlyId is null ? "" : "AND id = @id")}
                      ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) candidate
                WHERE j.id = candidate.id
                RETURNING {Prefixed("j.")}
                """, ct, [("@owner", workerId), ("@token", token), ("@lease", leaseDuration), ("@max", Limits.MaxExpiredLeases),
                    .. onlyId is null ? Array.Empty<(string, object?)>() : [("@id", onlyId)]]).ConfigureAwait(false);
            return job is null ? null : new PostgresFetchedJob(this, job, leaseDuration);
        }, cancellationToken);
    }

    private static string Prefixed(string prefix) => string.Join(", ", StoreRows.JobColumns.Split(", ").Select(c => prefix + c));

    private static async Task<JobRecord?> ReadOneJobAsync(NpgsqlConnection connection, string sqlOrWhere, CancellationToken cancellationToken,
        params (string, object?)[] parameters)
    {
        string sql = sqlOrWhere.StartsWith("WHERE", StringComparison.Ordinal) ? $"SELECT {StoreRows.JobColumns} FROM jobs {sqlOrWhere}" : sqlOrWhere;
        await using var reader = await Sql.ReaderAsync(connection, sql, cancellationToken, parameters).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? StoreRows.ReadJob(reader, Time) : null;
    }

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => Retry(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await ReadOneJobAsync(connection, "WHERE id = @id", ct, ("@id", id)).ConfigureAwait(false);
    }, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => Retry<IReadOnlyList<JobRecord>>(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var reader = await Sql.ReaderAsync(connection, $"SELECT {StoreRows.JobColumns} FROM jobs ORDER BY seq DESC LIMIT @limit", ct, ("@limit", limit)).ConfigureAwait(false);
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) jobs.Add(StoreRows.ReadJob(reader, Time));
        return jobs;
    }, cancellationToken);

    public Task<IReadOnlyList<IterationRecord>> GetIterationsAsync(string id, CancellationToken cancellationToken = default) => Retry<IReadOnlyList<IterationRecord>>(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var reader = await Sql.ReaderAsync(connection, $"SELECT {StoreRows.IterationColumns} FROM iterations WHERE job_id = @id ORDER BY number", ct, ("@id", id)).ConfigureAwait(false);
        var list = new List<IterationRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) list.Add(StoreRows.ReadIteration(reader, Time));
        return list;
    }, cancellationToken);

    public Task<IReadOnlyList<StepRecord>> GetStepsAsync(string id, CancellationToken cancellationToken = default) => Retry<IReadOnlyList<StepRecord>>(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var reader = await Sql.ReaderAsync(connection, $"SELECT {StoreRows.StepColumns} FROM steps WHERE job_id = @id ORDER BY number", ct, ("@id", id)).ConfigureAwait(false);
        var list = new List<StepRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) list.Add(StoreRows.ReadStep(reader, Time));
        return list;
    }, cancellationToken);

    public Task<CancelResult> CancelAsync(string id, CancellationToken cancellationToken = default) => Retry(async ct =>
    {
        // One statement, idempotent: a retry of a cancel that landed reports AlreadyFinished or CancelRequested again.
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var reader = await Sql.ReaderAsync(connection, """
            WITH queued AS (
                UPDATE jobs SET state = 'cancelled', cancel_requested = true, finished_at = now(), summary = 'cancelled before it started'
                WHERE id = @id AND state = 'queued' RETURNING 1),
            running AS (
                UPDATE jobs SET cancel_requested = true WHERE id = @id AND state = 'running' RETURNING 1)
            SELECT (SELECT COUNT(*) FROM queued), (SELECT COUNT(*) FROM running), (SELECT COUNT(*) FROM jobs WHERE id = @id)
            """, ct, ("@id", id)).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return reader.GetInt64(0) > 0 ? CancelResult.Cancelled : reader.GetInt64(1) > 0 ? CancelResult.CancelRequested
            : reader.GetInt64(2) > 0 ? CancelResult.AlreadyFinished : CancelResult.NotFound;
    }, cancellationToken);

    public Task<IReadOnlyList<string>> PurgeFinishedAsync(DateTimeOffset finishedBefore, int keepLatest, CancellationToken cancellationToken = default) =>
        Retry<IReadOnlyList<string>>(async ct =>
        {
            // One statement; iterations and steps go with their job (ON DELETE CASCADE). A retry after a lost answer deletes
            // nothing twice (those rows are gone), though the ids of the first try are then not returned.
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var reader = await Sql.ReaderAsync(connection, $"DELETE FROM jobs WHERE id IN ({StoreRows.PurgeCandidates("@before", "@keep")}) RETURNING id",
                ct, ("@before", finishedBefore.ToUniversalTime()), ("@keep", keepLatest)).ConfigureAwait(false);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetString(0));
            return ids;
        }, cancellationToken);
}
