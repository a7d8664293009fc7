using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Storage;

public sealed partial class SqliteJobStore
{
    /// <summary>
    /// Versioned schema: migration k brings PRAGMA user_version from k-1 to k. Applied at start-up in one IMMEDIATE
    /// transaction, so two hosts opening the same new file migrate it once. Append migrations; never edit one.
    /// </summary>
    internal static readonly string[] Migrations =
    [
        // 1: jobs and iterations (the layout before versioning; IF NOT EXISTS adopts such a file).
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id               TEXT PRIMARY KEY,
            seq              INTEGER NOT NULL,
            name             TEXT,
            language         TEXT NOT NULL,
            spec_json        TEXT NOT NULL,
            state            TEXT NOT NULL,
            created_at       INTEGER NOT NULL,
            started_at       INTEGER,
            finished_at      INTEGER,
            lease_owner      TEXT,
            lease_token      TEXT,
            lease_expires_at INTEGER,
            claims           INTEGER NOT NULL DEFAULT 0,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            summary          TEXT,
            best_iteration   INTEGER
        );
        CREATE INDEX IF NOT EXISTS jobs_claimable ON jobs (state, seq);
        CREATE TABLE IF NOT EXISTS iterations (
            job_id        TEXT NOT NULL REFERENCES jobs(id),
            number        INTEGER NOT NULL,
            attempt       INTEGER NOT NULL,
            prompt        TEXT NOT NULL,
            reply         TEXT NOT NULL,
            code          TEXT NOT NULL,
            passed        INTEGER NOT NULL,
            tests_passed  INTEGER NOT NULL,
            tests_total   INTEGER NOT NULL,
            hidden_passed INTEGER NOT NULL,
            hidden_total  INTEGER NOT NULL,
            feedback      TEXT NOT NULL,
            test_output   TEXT NOT NULL,
            output_tokens INTEGER NOT NULL,
            duration_ms   INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            PRIMARY KEY (job_id, number)
        );
        """,
        // 2: fencing audit (which lease generation wrote an iteration) and host heartbeats.
        """
        ALTER TABLE iterations ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE hosts (
            id             TEXT PRIMARY KEY,
            description    TEXT NOT NULL,
            started_at     INTEGER NOT NULL,
            last_heartbeat INTEGER NOT NULL
        );
        """,
        // 3: the poison-job limit (JobStoreLimits.MaxExpiredLeases): how many times a holder's lease ran out.
        """
        ALTER TABLE jobs ADD COLUMN expired_leases INTEGER NOT NULL DEFAULT 0;
        """,
        // 4: steps of workspace jobs (issue 17): model turns, tool calls with the files they changed, the final check.
        """
        CREATE TABLE steps (
            job_id        TEXT NOT NULL REFERENCES jobs(id),
            number        INTEGER NOT NULL,
            turn          INTEGER NOT NULL,
            kind          TEXT NOT NULL,
            name          TEXT NOT NULL,
            call_id       TEXT NOT NULL,
            input         TEXT NOT NULL,
            output        TEXT NOT NULL,
            data          TEXT NOT NULL,
            passed        INTEGER,
            output_tokens INTEGER NOT NULL,
            duration_ms   INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            claim         INTEGER NOT NULL,
            PRIMARY KEY (job_id, number)
        );
        """,
    ];

    private void Migrate()
    {
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"; // not allowed inside a transaction
            wal.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction(); // IMMEDIATE: holds the write lock while reading the version
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        int version = Convert.ToInt32(command.ExecuteScalar());
        if (version > Migrations.Length)
            throw new InvalidOperationException($"{DatabasePath} has schema version {version}; this build knows up to {Migrations.Length}. Upgrade mercury-agents.");
        for (int v = version; v < Migrations.Length; v++)
        {
            command.CommandText = Migrations[v] + $"\nPRAGMA user_version = {v + 1};";
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public static int SchemaVersion => Migrations.Length;

    internal static async Task<SqliteDataReader> ReaderAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return await command.ExecuteReaderAsync(System.Data.CommandBehavior.Default, cancellationToken).ConfigureAwait(false);
    }
}
