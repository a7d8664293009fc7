using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Storage;

/// <summary>
/// The operations side of a shared store (Hangfire's server heartbeats and monitoring API): which hosts are alive,
/// what each holds, and how many jobs are in each state. Both stores implement it beside <see cref="IJobStore"/>.
/// </summary>
public interface IHostRegistry
{
    /// <summary>Announces the host or renews its heartbeat.</summary>
    Task HeartbeatAsync(string hostId, string description, CancellationToken cancellationToken = default);

    /// <summary>Graceful shutdown: the host is no longer listed. Its leases are handed back by the workers.</summary>
    Task RemoveAsync(string hostId, CancellationToken cancellationToken = default);

    /// <summary>Hosts by last heartbeat, newest first, with the jobs each holds under a live lease.</summary>
    Task<IReadOnlyList<HostRecord>> ListHostsAsync(CancellationToken cancellationToken = default);

    /// <summary>How many jobs are in each state (absent states: zero).</summary>
    Task<IReadOnlyDictionary<JobState, int>> CountJobsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A host as registered; <see cref="JobsHeld"/> counts Running jobs whose lease it holds and that has not expired.</summary>
public sealed record HostRecord(string Id, string Description, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeat, int JobsHeld);
