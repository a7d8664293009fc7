using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Storage;

public sealed partial class SqliteJobStore
{
    public Task HeartbeatAsync(string hostId, string description, CancellationToken cancellationToken = default) => GuardAsync(async () =>
    {
        await using var connection = Open();
        await ExecuteAsync(connection, null, """
            INSERT INTO hosts (id, description, started_at, last_heartbeat) VALUES ($id, $description, $now, $now)
            ON CONFLICT (id) DO UPDATE SET last_heartbeat = $now, description = $description
            """, cancellationToken, ("$id", hostId), ("$description", description), ("$now", Now)).ConfigureAwait(false);
    });

    public Task RemoveAsync(string hostId, CancellationToken cancellationToken = default) => GuardAsync(async () =>
    {
        await using var connection = Open();
        await ExecuteAsync(connection, null, "DELETE FROM hosts WHERE id = $id", cancellationToken, ("$id", hostId)).ConfigureAwait(false);
    });

    public Task<IReadOnlyList<HostRecord>> ListHostsAsync(CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyList<HostRecord>>(async () =>
    {
        await using var connection = Open();
        await using var reader = await ReaderAsync(connection, """
            SELECT h.id, h.description, h.started_at, h.last_heartbeat,
                   (SELECT COUNT(*) FROM jobs j WHERE j.state = 'running' AND j.lease_owner = h.id AND j.lease_expires_at >= $now)
            FROM hosts h ORDER BY h.last_heartbeat DESC
            """, cancellationToken, ("$now", Now)).ConfigureAwait(false);
        var hosts = new List<HostRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            hosts.Add(new HostRecord(reader.GetString(0), reader.GetString(1), Time(reader, 2), Time(reader, 3), reader.GetInt32(4)));
        return hosts;
    });

    public Task<IReadOnlyDictionary<JobState, int>> CountJobsAsync(CancellationToken cancellationToken = default) => GuardAsync<IReadOnlyDictionary<JobState, int>>(async () =>
    {
        await using var connection = Open();
        await using var reader = await ReaderAsync(connection, "SELECT state, COUNT(*) FROM jobs GROUP BY state", cancellationToken).ConfigureAwait(false);
        return await StoreRows.ReadCountsAsync(reader, cancellationToken).ConfigureAwait(false);
    });
}
