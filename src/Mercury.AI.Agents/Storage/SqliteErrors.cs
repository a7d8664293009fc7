using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Storage;

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
