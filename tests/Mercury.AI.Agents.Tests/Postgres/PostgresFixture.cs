using Npgsql;

namespace Mercury.AI.Agents.Tests.Postgres;

/// <summary>
/// The PostgreSQL server for the tests of one collection. MERCURY_TEST_POSTGRES (a connection string or postgres://
/// URI of a server where the user may CREATE DATABASE) is used when set; otherwise a private throwaway cluster is
/// started (<see cref="PostgresCluster"/>) and stopped at the end. Each test gets a fresh database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;
    private NpgsqlConnectionStringBuilder? _external;

    public async Task InitializeAsync()
    {
        string? external = Environment.GetEnvironmentVariable("MERCURY_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(external))
            _external = Mercury.AI.Agents.PostgreSql.PostgresJobStoreOptions.IsPostgresUri(external)
                ? Mercury.AI.Agents.PostgreSql.PostgresJobStoreOptions.FromUri(external)
                : new NpgsqlConnectionStringBuilder(external);
        else
            _cluster = await PostgresCluster.StartAsync();
    }

    /// <summary>A connection string to a new, empty database.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        if (_cluster is not null) return await _cluster.CreateDatabaseAsync("mercury");
        string name = $"mercury_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(_external!.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(_external.ConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

/// <summary>The scale-out tests: the PostgreSQL server, and tests that run several host or server processes. They run
/// one at a time (a collection is sequential), so that on a small CI machine they do not starve each other.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "scale-out";
}
