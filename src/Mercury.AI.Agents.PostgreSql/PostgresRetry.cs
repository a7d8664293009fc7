using System.Net.Sockets;
using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Mercury.AI.Agents.PostgreSql;

/// <summary>
/// Retry with exponential backoff on transient failures: the connection was lost or refused, the server is shutting
/// down or starting up, a serialization failure or deadlock. Every store operation it wraps is written to be safe to
/// run again after an unknown outcome (its commit may have landed before the connection dropped): see the callers.
/// </summary>
internal static class PostgresRetry
{
    public static ResiliencePipeline Create(PostgresJobStoreOptions options, ILogger logger) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = options.MaxRetryAttempts,
            Delay = options.RetryDelay,
            MaxDelay = options.MaxRetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            OnRetry = args =>
            {
                logger.LogWarning("PostgreSQL: {Error}; retry {Attempt} in {Delay} ms", args.Outcome.Exception?.Message,
                    args.AttemptNumber + 1, (int)args.RetryDelay.TotalMilliseconds);
                // Pooled connections to a restarted server are dead; do not hand them out again.
                NpgsqlConnection.ClearAllPools();
                return default;
            },
        })
        .Build();

    /// <summary>
    /// A failure that means the store cannot be used (not one operation's fault), with what to check; null for the
    /// rest (a lost lease, a full queue, a bug), which callers handle themselves.
    /// </summary>
    public static JobStoreUnavailableException? Unavailable(Exception e, string store)
    {
        string? problem = e is PostgresException pg ? pg.SqlState switch
        {
            "28P01" or "28000" => "refuses the login; check the user and password (PGPASSWORD, ~/.pgpass or the URI)",
            "3D000" => "has no such database; create it (createdb) or fix the URI",
            "42501" => "refuses this user access to the schema; grant it (GRANT USAGE, CREATE ON SCHEMA ...)",
            "25006" => "is read-only (a standby?); point --store at the primary",
            "53100" => "is out of disk space; free space on the database server",
            _ => null,
        } : null;
        if (problem is null && IsTransient(e)) problem = "cannot be reached (retried for a while); check that the server is running and reachable";
        return problem is null ? null : new JobStoreUnavailableException($"The job store {store} {problem}. ({e.Message.TrimEnd('.')})", e);
    }

    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || pg.SqlState is "57P01" or "57P02" or "57P03" // admin shutdown, crash shutdown, cannot connect now
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal), // insufficient resources (too many connections)
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };
}
