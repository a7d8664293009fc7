using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;

namespace Mercury.AI.Agents.PostgreSql;

public sealed partial class PostgresJobStore
{
    public Task HeartbeatAsync(string hostId, string description, CancellationToken cancellationToken = default) => Retry(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await Sql.ExecuteAsync(connection, null, """
            INSERT INTO hosts (id, description) VALUES (@id, @description)
            ON CONFLICT (id) DO UPDATE SET last_heartbeat = now(), description = @description
            """, ct, ("@id", hostId), ("@description", description)).ConfigureAwait(false);
    }, cancellationToken);

    public Task RemoveAsync(string hostId, CancellationToken cancellationToken = default) => Retry(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await Sql.ExecuteAsync(connection, null, "DELETE FROM hosts WHERE id = @id", ct, ("@id", hostId)).ConfigureAwait(false);
    }, cancellationToken);

    public Task<IReadOnlyList<HostRecord>> ListHostsAsync(CancellationToken cancellationToken = default) => Retry<IReadOnlyList<HostRecord>>(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var reader = await Sql.ReaderAsync(connection, """
            SELECT h.id, h.description, h.started_at, h.last_heartbeat,
                   (SELECT COUNT(*) FROM jobs j WHERE j.state = 'running' AND j.lease_owner = h.id AND j.lease_expires_at >= now())
            FROM hosts h ORDER BY h.last_heartbeat DESC
            """, ct).ConfigureAwait(false);
        var hosts = new List<HostRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            hosts.Add(new HostRecord(reader.GetString(0), reader.GetString(1), Time(reader, 2), Time(reader, 3), (int)reader.GetInt64(4)));
        return hosts;
    }, cancellationToken);

    public Task<IReadOnlyDictionary<JobState, int>> CountJobsAsync(CancellationToken cancellationToken = default) => Retry(async ct =>
    {
        await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var reader = await Sql.ReaderAsync(connection, "SELECT state, COUNT(*) FROM jobs GROUP BY state", ct).ConfigureAwait(false);
        return await StoreRows.ReadCountsAsync(reader, ct).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>Releases the connection pool.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
