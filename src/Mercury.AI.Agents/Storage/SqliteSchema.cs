using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Storage;

/// <summary>The SQLite schema, created or brought up to date when a store opens the file.</summary>
internal static class SqliteSchema
{
    public static void Apply(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
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
                expired_leases   INTEGER NOT NULL DEFAULT 0,
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
            """;
        command.ExecuteNonQuery();
        // Files made before the poison-job limit lack the column.
        if (!Columns(connection, "jobs").Contains("expired_leases"))
        {
            command.CommandText = "ALTER TABLE jobs ADD COLUMN expired_leases INTEGER NOT NULL DEFAULT 0";
            command.ExecuteNonQuery();
        }
    }

    private static HashSet<string> Columns(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
        using var reader = command.ExecuteReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }
}

/// <summary>SQLite failures that mean the store cannot be used at all, turned into a message with a way out.</summary>
internal static class SqliteErrors
{
    private const int SqliteReadOnly = 8, SqliteIoError = 10, SqliteCorrupt = 11, SqliteFull = 13, SqliteCantOpen = 14, SqliteNotADatabase = 26;

    public static JobStoreUnavailableException? Translate(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        SqliteCorrupt or SqliteNotADatabase => new(
            $"The job database {path} is damaged ({e.Message.TrimEnd('.')}). To recover: stop every host that uses it, move it " +
            $"aside (mv '{path}' '{path}.damaged'; also its -wal and -shm files), and start again: an empty database is created. " +
            "Jobs in the damaged file may be rescued with: sqlite3 jobs.db.damaged .recover | sqlite3 jobs.db", e),
        SqliteFull => new($"The disk holding the job database {path} is full; free space and start again.", e),
        SqliteCantOpen or SqliteReadOnly => new(
            $"The job database {path} cannot be opened for writing ({e.Message.TrimEnd('.')}); check that the folder exists and belongs to this user.", e),
        SqliteIoError => new($"Reading or writing the job database {path} failed ({e.Message.TrimEnd('.')}); check the disk.", e),
        _ => null,
    };
}
