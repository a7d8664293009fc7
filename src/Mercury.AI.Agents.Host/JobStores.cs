using Mercury.AI.Agents.PostgreSql;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// The ONE place where the job store is chosen. Configuration key <c>Agents:Store</c> (flag <c>--store</c>, environment
/// <c>Agents__Store</c>): unset or <c>sqlite</c> — SQLite in the data folder (one machine, the default);
/// <c>sqlite:&lt;file&gt;</c> — that file; a <c>postgres://</c> URI or an Npgsql <c>key=value</c> connection string —
/// PostgreSQL, shared by many hosts (schema <c>Agents:Postgres:Schema</c>, default mercury_agents).
/// </summary>
public static class JobStores
{
    /// <summary>Opens the store; PostgreSQL is connected (with retries) and migrated before this returns. A store that
    /// cannot be used (a damaged file, a server that stays unreachable) throws <see cref="JobStoreUnavailableException"/>.</summary>
    public static async Task<IJobStore> OpenAsync(IConfiguration configuration, AgentHostOptions options, CancellationToken cancellationToken = default)
    {
        string? store = configuration["Agents:Store"];
        if (store is null or "" or "sqlite") return new SqliteJobStore(options.DatabasePath, limits: options.StoreLimits);
        if (store.StartsWith("sqlite:", StringComparison.Ordinal)) return new SqliteJobStore(store["sqlite:".Length..], limits: options.StoreLimits);
        if (!IsPostgres(store))
            throw new ArgumentException($"--store '{PostgresJobStoreOptions.Redact(store)}' is not a store: use sqlite, sqlite:<file>, postgres://user@host:port/database or an Npgsql connection string (Host=...;Database=...).");
        var postgres = new PostgresJobStoreOptions { ConnectionString = store, Limits = options.StoreLimits };
        if (configuration["Agents:Postgres:Schema"] is { } schema) postgres.Schema = schema;
        _ = postgres.ToNpgsqlConnectionString(); // a malformed URI is bad input (exit 2), not an unreachable server
        return await PostgresJobStore.OpenAsync(postgres, StoreLogger.Value.CreateLogger("Mercury.AI.Agents.PostgreSql"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store, for messages: its file or its redacted URI.</summary>
    public static string Describe(IConfiguration configuration, AgentHostOptions options) => configuration["Agents:Store"] switch
    {
        null or "" or "sqlite" => options.DatabasePath,
        var s => PostgresJobStoreOptions.Redact(s),
    };

    private static bool IsPostgres(string store) => PostgresJobStoreOptions.IsPostgresUri(store) || store.Contains('=', StringComparison.Ordinal);

    // Retry warnings go to stderr, so they never mix into --json output.
    private static readonly Lazy<ILoggerFactory> StoreLogger = new(() => LoggerFactory.Create(b => b
        .SetMinimumLevel(LogLevel.Warning)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)));
}
