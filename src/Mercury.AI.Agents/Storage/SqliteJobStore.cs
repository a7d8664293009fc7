using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Storage;

/// <summary>
/// <see cref="IJobStore"/> on SQLite in WAL mode: readers (the CLI, the HTTP API) never block the workers, and several
/// host processes may share one database file. Times are Unix milliseconds. A file SQLite cannot use (damaged, not a
/// database, a full disk) surfaces as <see cref="JobStoreUnavailableException"/> saying how to recover.
/// </summary>
public sealed partial class SqliteJobStore : IJobStore, IHostRegistry
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public SqliteJobStore(string databasePath, TimeProvider? time = null, JobStoreLimits? limits = null)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = 30, // seconds of SQLITE_BUSY retries
            Pooling = true,
        }.ToString();
        _time = time ?? TimeProvider.System;
        Limits = limits ?? JobStoreLimits.Default;
        Guard(Migrate);
    }

    public string DatabasePath { get; }

    public JobStoreLimits Limits { get; }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Runs a store operation, turning "this file cannot be used" into <see cref="JobStoreUnavailableException"/>.</summary>
    internal async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        try { return await operation().ConfigureAwait(false); }
        catch (SqliteException e) when (SqliteErrors.Translate(e, DatabasePath) is { } unavailable) { throw unavailable; }
    }

    internal async Task GuardAsync(Func<Task> operation)
    {
        try { await operation().ConfigureAwait(false); }
        catch (SqliteException e) when (SqliteErrors.Translate(e, DatabasePath) is { } unavailable) { throw unavailable; }
    }

    private void Guard(Action operation)
    {
        try { operation(); }
        catch (SqliteException e) when (SqliteErrors.Translate(e, DatabasePath) is { } unavailable) { throw unavailable; }
    }

    public Task<string> EnqueueAsync(JobSpec spec, CancellationToken cancellationToken = default) => GuardAsync(async () =>
    {
        string id = NewJobId();
        await using var connection = Open();
        // One statement: the count and the insert cannot interleave with another host's.
        int inserted = await ExecuteAsync(connection, null, """
            INSERT INTO jobs (id, seq, name, language, spec_json, state, created_at)
            SELECT $id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), $name, $language, $spec, 'queued', $now
            WHERE (SELECT COUNT(*) FROM jobs WHERE state = 'queued') < $max
            """, cancellationToken, ("$id", id), ("$name", spec.Name), ("$language", spec.Language.ToLowerInvariant()),
            ("$spec", JsonSerializer.Serialize(spec, JobSpecParser.Json)), ("$now", Now), ("$max", Limits.MaxQueuedJobs)).ConfigureAwait(false);
        return inserted == 1 ? id : throw new JobQueueFullException(Limits.MaxQueuedJobs);
    });

    /// <summary>Short, sortable-enough, unambiguous ids: j-20261127-abcdef12.</summary>
    private string NewJobId() => $"j-{_time.GetUtcNow():yyyyMMdd}-{Guid.NewGuid().ToString("N")[..8]}";

    public Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default) =>
        GuardAsync(() => FetchAsync(workerId, leaseDuration, null, cancellationToken));

    public Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, string jobId, CancellationToken cancellationToken = default) =>
        GuardAsync(() => FetchAsync(workerId, leaseDuration, jobId, cancellationToken));

    private async Task<IFetchedJob?> FetchAsync(string workerId, TimeSpan leaseDuration, string? onlyId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        // BEGIN IMMEDIATE: the write lock is taken before the SELECT, so two hosts cannot pick the same row.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long now = Now;

        // A running job whose host died while a cancel was pending ends as cancelled instead of being resumed.
        await ExecuteAsync(connection, transaction, """
            UPDATE jobs SET state = 'cancelled', finished_at = $now, summary = 'cancelled', lease_owner = NULL, lease_token = NULL
            WHERE state = 'running' AND cancel_requested = 1 AND lease_expires_at < $now
            """, cancellationToken, ("$now", now)).ConfigureAwait(false);
        // A poison job: every worker that took it died before it finished. It is not handed out again.
        await ExecuteAsync(connection, transaction, $"""
            UPDATE jobs SET state = 'error', finished_at = $now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                            summary = {JobStoreLimits.PoisonSummarySql("expired_leases + 1")}
            WHERE state = 'running' AND cancel_requested = 0 AND lease_expires_at < $now AND expired_leases + 1 >= $max
            """, cancellationToken, ("$now", now), ("$max", Limits.MaxExpiredLeases)).ConfigureAwait(false);

        string? id;
        await using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"""
                SELECT id FROM jobs
                WHERE cancel_requested = 0 AND (state = 'queued' OR (state = 'running' AND lease_expires_at < $now))
                {(onlyId is null ? "" : "AND id = $id")}
                ORDER BY seq LIMIT 1
                """;
            select.Parameters.AddWithValue("$now", now);
            if (onlyId is not null) select.Parameters.AddWithValue("$id", onlyId);
            id = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
        if (id is null)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        // A new lease generation: the claim count, which fences every later write of the previous holder. Taking over
        // a running job (its lease expired) counts towards the poison-job limit.
        await ExecuteAsync(connection, transaction, """
            UPDATE jobs SET expired_leases = expired_leases + (state = 'running'), state = 'running', lease_owner = $owner,
                            lease_token = NULL, lease_expires_at = $expires, claims = claims + 1, started_at = COALESCE(started_at, $now)
            WHERE id = $id
            """, cancellationToken, ("$owner", workerId), ("$expires", now + (long)leaseDuration.TotalMilliseconds), ("$now", now), ("$id", id)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        var job = await GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException($"job {id} vanished");
        return new SqliteFetchedJob(this, job, leaseDuration);
    }

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => GuardAsync<JobRecord?>(async () =>
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoreRows.JobColumns} FROM jobs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadJob(reader) : null;
    });

    public Task<IReadOnlyList<JobRecord>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<JobRecord>>(async () =>
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoreRows.JobColumns} FROM jobs ORDER BY seq DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) jobs.Add(ReadJob(reader));
        return jobs;
    });

    public Task<IReadOnlyList<IterationRecord>> GetIterationsAsync(string id, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<IterationRecord>>(async () =>
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoreRows.IterationColumns} FROM iterations WHERE job_id = $id ORDER BY number";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<IterationRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) list.Add(StoreRows.ReadIteration(reader, Time));
        return list;
    });

    public Task<IReadOnlyList<StepRecord>> GetStepsAsync(string id, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<StepRecord>>(async () =>
    {
        await using var connection = Open();
        await using var reader = await ReaderAsync(connection, $"SELECT {StoreRows.StepColumns} FROM steps WHERE job_id = $id ORDER BY number",
            cancellationToken, ("$id", id)).ConfigureAwait(false);
        var list = new List<StepRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) list.Add(StoreRows.ReadStep(reader, Time));
        return list;
    });

    public Task<CancelResult> CancelAsync(string id, CancellationToken cancellationToken = default) => GuardAsync<CancelResult>(async () =>
    {
        await using var connection = Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int queued = await ExecuteAsync(connection, transaction,
            "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at = $now, summary = 'cancelled before it started' WHERE id = $id AND state = 'queued'",
            cancellationToken, ("$id", id), ("$now", Now)).ConfigureAwait(false);
        int running = queued > 0 ? 0 : await ExecuteAsync(connection, transaction,
            "UPDATE jobs SET cancel_requested = 1 WHERE id = $id AND state = 'running'",
            cancellationToken, ("$id", id)).ConfigureAwait(false);
        int exists = queued + running > 0 ? 1 : Convert.ToInt32(await ScalarAsync(connection, transaction,
            "SELECT COUNT(*) FROM jobs WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false));
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return queued > 0 ? CancelResult.Cancelled : running > 0 ? CancelResult.CancelRequested
            : exists > 0 ? CancelResult.AlreadyFinished : CancelResult.NotFound;
    });

    public Task<IReadOnlyList<string>> PurgeFinishedAsync(DateTimeOffset finishedBefore, int keepLatest, CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<string>>(async () =>
    {
        await using var connection = Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        await using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = StoreRows.PurgeCandidates("$before", "$keep");
            select.Parameters.AddWithValue("$before", finishedBefore.ToUnixTimeMilliseconds());
            select.Parameters.AddWithValue("$keep", keepLatest);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) ids.Add(reader.GetString(0));
        }
        var list = ("$ids", (object?)JsonSerializer.Serialize(ids));
        await ExecuteAsync(connection, transaction, "DELETE FROM iterations WHERE job_id IN (SELECT value FROM json_each($ids))", cancellationToken, list).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM steps WHERE job_id IN (SELECT value FROM json_each($ids))", cancellationToken, list).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM jobs WHERE id IN (SELECT value FROM json_each($ids))", cancellationToken, list).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ids;
    });

    private static readonly Func<System.Data.Common.DbDataReader, int, DateTimeOffset> Time =
        (r, i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static JobRecord ReadJob(SqliteDataReader r) => StoreRows.ReadJob(r, Time);

    internal static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    internal long NowMs => Now;
}
