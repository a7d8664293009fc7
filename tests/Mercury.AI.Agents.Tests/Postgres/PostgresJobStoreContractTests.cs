using Mercury.AI.Agents.PostgreSql;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Tests.Storage;

namespace Mercury.AI.Agents.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreContractTests(PostgresFixture postgres) : JobStoreContractTests
{
    protected override async Task<IJobStore> CreateStoreAsync(JobStoreLimits limits) =>
        await PostgresJobStore.OpenAsync(new PostgresJobStoreOptions { ConnectionString = await postgres.CreateDatabaseAsync(), Limits = limits });
}

/// <summary>What only the PostgreSQL store has: migration shared by hosts starting together, URI configuration.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Hosts_starting_together_migrate_a_new_database_once()
    {
        string database = await postgres.CreateDatabaseAsync();
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            PostgresJobStore.OpenAsync(new PostgresJobStoreOptions { ConnectionString = database }))));
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM mercury_agents.schema_version", connection);
        Assert.Equal(Enumerable.Range(1, PostgresJobStore.SchemaVersion), (int[])(await command.ExecuteScalarAsync())!);
        foreach (var store in stores) await store.DisposeAsync();
    }

    [Fact]
    public async Task A_server_that_cannot_be_used_is_reported_as_unavailable_with_what_to_check()
    {
        var unreachable = new PostgresJobStoreOptions
        {
            ConnectionString = $"Host=127.0.0.1;Port={Host.HostProcess.FreePort()};Database=jobs;Username=agent;Timeout=2",
            MaxRetryAttempts = 1, RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        var e = await Assert.ThrowsAsync<JobStoreUnavailableException>(() => PostgresJobStore.OpenAsync(unreachable));
        Assert.Contains("cannot be reached", e.Message);

        string missing = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync()) { Database = "mercury_no_such_db" }.ConnectionString;
        e = await Assert.ThrowsAsync<JobStoreUnavailableException>(() => PostgresJobStore.OpenAsync(new PostgresJobStoreOptions { ConnectionString = missing }));
        Assert.Contains("no such database", e.Message);
    }

    [Theory]
    [InlineData("postgres://agent:s%40cret@db.example:6543/jobs?sslmode=require", "Host=db.example;Port=6543;Database=jobs;Username=agent;Password=s@cret;SSL Mode=Require")]
    [InlineData("postgresql://agent@/jobs?host=/var/run/postgresql", "Host=/var/run/postgresql;Database=jobs;Username=agent")]
    [InlineData("postgres:///jobs", "Host=localhost;Database=jobs")]
    public void Postgres_URIs_become_Npgsql_connection_strings(string uri, string expected)
    {
        static IEnumerable<string> Pairs(string s) => new System.Data.Common.DbConnectionStringBuilder { ConnectionString = s }
            .Cast<KeyValuePair<string, object>>().Select(p => $"{p.Key}={p.Value}").Order();
        Assert.Equal(Pairs(expected + ";Search Path=mercury_agents;Application Name=mercury-agents;Options=-c idle_in_transaction_session_timeout=15000"),
            Pairs(new PostgresJobStoreOptions { ConnectionString = uri }.ToNpgsqlConnectionString()));
    }

    [Fact]
    public void A_bad_URI_is_refused_with_the_reason_and_no_password()
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgresJobStoreOptions { ConnectionString = "postgres://u:secret@h/db?colour=blue" }.ToNpgsqlConnectionString());
        Assert.Contains("colour", e.Message);
        Assert.Equal("postgres://u:***@h/db", PostgresJobStoreOptions.Redact("postgres://u:secret@h/db"));
    }
}
