using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mercury.AI.Agents.PostgreSql;

public sealed partial class PostgresJobStore
{
    /// <summary>
    /// Versioned schema: migration k is applied once, in order, and recorded in <c>schema_version</c>. All of it runs
    /// in one transaction under an advisory lock, so hosts starting together migrate once and a failed migration
    /// leaves nothing half-done. Append migrations; never edit one that shipped.
    /// </summary>
    internal static readonly string[] Migrations =
    [
        // 1: jobs, iterations (with the lease generation that wrote each), hosts.
        """
        CREATE TABLE jobs (
            id               text PRIMARY KEY,
            seq              bigint GENERATED ALWAYS AS IDENTITY,
            name             text,
            language         text NOT NULL,
            spec_json        text NOT NULL,
            state            text NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            started_at       timestamptz,
            finished_at      timestamptz,
            lease_owner      text,
            lease_token      text,
            lease_expires_at timestamptz,
            claims           integer NOT NULL DEFAULT 0,
            cancel_requested boolean NOT NULL DEFAULT false,
            summary          text,
            best_iteration   integer
        );
        -- Claims scan only unfinished jobs, oldest first.
        CREATE INDEX jobs_claimable ON jobs (seq) WHERE state IN ('queued', 'running');
        CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
        CREATE TABLE iterations (
            job_id        text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            number        integer NOT NULL,
            attempt       integer NOT NULL,
            prompt        text NOT NULL,
            reply         text NOT NULL,
            code          text NOT NULL,
            passed        boolean NOT NULL,
            tests_passed  integer NOT NULL,
            tests_total   integer NOT NULL,
            hidden_passed integer NOT NULL,
            hidden_total  integer NOT NULL,
            feedback      text NOT NULL,
            test_output   text NOT NULL,
            output_tokens integer NOT NULL,
            duration_ms   bigint NOT NULL,
            created_at    timestamptz NOT NULL,
            claim         integer NOT NULL,
            PRIMARY KEY (job_id, number)
        );
        CREATE TABLE hosts (
            id             text PRIMARY KEY,
            description    text NOT NULL,
            started_at     timestamptz NOT NULL DEFAULT now(),
            last_heartbeat timestamptz NOT NULL DEFAULT now()
        );
        """,
        // 2: the poison-job limit (JobStoreLimits.MaxExpiredLeases): how many times a holder's lease ran out.
        """
        ALTER TABLE jobs ADD COLUMN expired_leases integer NOT NULL DEFAULT 0;
        """,
        // 3: steps of workspace jobs (issue 17): model turns, tool calls with the files they changed, the final check.
        """
        CREATE TABLE steps (
            job_id        text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            number        integer NOT NULL,
            turn          integer NOT NULL,
            kind          text NOT NULL,
            name          text NOT NULL,
            call_id       text NOT NULL,
            input         text NOT NULL,
            output        text NOT NULL,
            data          text NOT NULL,
            passed        boolean,
            output_tokens integer NOT NULL,
            duration_ms   bigint NOT NULL,
            created_at    timestamptz NOT NULL,
            claim         integer NOT NULL,
            PRIMARY KEY (job_id, number)
        );
        """,
    ];

    public static int SchemaVersion => Migrations.Length;

    /// <summary>Drops the store's schema and everything in it (scratch stores of benchmarks).</summary>
    public async Task DropSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await Sql.ExecuteAsync(connection, null, $"DROP SCHEMA IF EXISTS {_schema} CASCADE", cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> MigrateAsync(string schema, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // One lock per schema name, held to the end of the transaction.
        await Sql.ExecuteAsync(connection, transaction, $"""
            SELECT pg_advisory_xact_lock(hashtext('mercury_agents_migrate:' || @schema));
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {schema}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken, ("@schema", schema)).ConfigureAwait(false);
        int version = Convert.ToInt32(await Sql.ScalarAsync(connection, transaction, $"SELECT COALESCE(MAX(version), 0) FROM {schema}.schema_version",
            cancellationToken).ConfigureAwait(false));
        if (version > Migrations.Length)
            throw new InvalidOperationException($"Schema {schema} is at version {version}; this build knows up to {Migrations.Length}. Upgrade mercury-agents.");
        for (int v = version; v < Migrations.Length; v++)
        {
            await Sql.ExecuteAsync(connection, transaction, $"SET LOCAL search_path = {schema};\n" + Migrations[v], cancellationToken).ConfigureAwait(false);
            await Sql.ExecuteAsync(connection, transaction, $"INSERT INTO {schema}.schema_version (version) VALUES (@v)", cancellationToken, ("@v", v + 1)).ConfigureAwait(false);
            _logger.LogInformation("PostgreSQL job store: schema {Schema} migrated to version {Version}", schema, v + 1);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return version;
    }
}
