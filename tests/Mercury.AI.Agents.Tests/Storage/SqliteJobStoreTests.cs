using Mercury.AI.Agents.Storage;
using Microsoft.Data.Sqlite;

namespace Mercury.AI.Agents.Tests.Storage;

/// <summary>What only the SQLite store has: adopting a file written before the schema was versioned.</summary>
public sealed class SqliteJobStoreTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-sqlite");

    public void Dispose() { SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    [Fact]
    public async Task A_database_from_before_versioning_is_migrated_and_keeps_its_jobs()
    {
        string path = _dir.Combine("jobs.db");
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = SqliteJobStore.Migrations[0] + """
                INSERT INTO jobs (id, seq, language, spec_json, state, created_at)
                VALUES ('j-old', 1, 'python', '{"language":"python","instruction":"x","tests":[{"name":"t.py","content":"x"}]}', 'queued', 0);
                """;
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        var store = new SqliteJobStore(path);
        var fetched = await store.TryFetchAsync("w", TimeSpan.FromMinutes(1));
        Assert.Equal(("j-old", 1), (fetched!.Job.Id, fetched.Generation));
        await fetched.AppendIterationAsync(JobStoreContractTests.Iteration(1));
        Assert.Equal(1, (await store.GetIterationsAsync("j-old"))[0].Claim);
        await store.HeartbeatAsync("h", "d");

        using var check = new SqliteConnection($"Data Source={path}");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteJobStore.SchemaVersion, version.ExecuteScalar());
        _ = new SqliteJobStore(path); // opening again migrates nothing
    }
}
