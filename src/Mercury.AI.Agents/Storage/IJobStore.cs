using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Storage;

/// <summary>
/// The durable side of the host: jobs, their iterations, and who holds which job. Every implementation enforces
/// <see cref="JobStoreLimits"/> (poison jobs, output caps, queue length) and throws
/// <see cref="JobStoreUnavailableException"/>, with a way to recover, when the store itself cannot be used.
/// </summary>
public interface IJobStore
{
    /// <summary>Stores a checked job as Queued, in one transaction. Throws <see cref="JobQueueFullException"/> when
    /// <see cref="JobStoreLimits.MaxQueuedJobs"/> jobs are already queued.</summary>
    Task<string> EnqueueAsync(JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the oldest claimable job — Queued, or Running with an expired lease (its host died) — for
    /// <paramref name="leaseDuration"/>. Null when there is none. At most one holder at a time: the claim is a single
    /// IMMEDIATE transaction and every later write checks the lease token. A job whose lease has expired
    /// <see cref="JobStoreLimits.MaxExpiredLeases"/> times is not claimed but ends in Error, with the reason.
    /// </summary>
    Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="TryFetchAsync(string, TimeSpan, CancellationToken)"/>, for the one job
    /// <paramref name="jobId"/> only (<c>mercury-agents run</c> executes the job it submitted and no other).</summary>
    Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, string jobId, CancellationToken cancellationToken = default);

    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<JobRecord>> ListAsync(int limit = 100, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<IterationRecord>> GetIterationsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A queued job becomes Cancelled at once; a running one is flagged and its worker stops it (and its sandbox).</summary>
    Task<CancelResult> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes the finished jobs (and their iterations) that finished before <paramref name="finishedBefore"/>,
    /// and those beyond the <paramref name="keepLatest"/> most recently finished. Queued and running jobs are never
    /// touched. Returns the ids deleted, so that the host removes their artifacts.
    /// </summary>
    Task<IReadOnlyList<string>> PurgeFinishedAsync(DateTimeOffset finishedBefore, int keepLatest, CancellationToken cancellationToken = default);
}

public enum CancelResult { NotFound, AlreadyFinished, Cancelled, CancelRequested }

/// <summary>
/// A claimed job and its lease (Hangfire's IFetchedJob): the worker renews it with heartbeats, appends iterations
/// under it, and ends it by completing or requeueing. Every write is refused once the lease is lost.
/// </summary>
public interface IFetchedJob
{
    JobRecord Job { get; }

    /// <summary>Renews the lease. False: the lease was lost (expired and taken) — stop working on the job.</summary>
    Task<HeartbeatResult> HeartbeatAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a finished iteration, its text capped by <see cref="JobStoreLimits.Cap"/>; throws
    /// <see cref="LeaseLostException"/> if the lease is gone.</summary>
    Task AppendIterationAsync(IterationRecord iteration, CancellationToken cancellationToken = default);

    /// <summary>Guarded final transition Running → <paramref name="state"/>.</summary>
    Task CompleteAsync(JobState state, string summary, int? bestIteration, CancellationToken cancellationToken = default);

    /// <summary>Gives the job back (graceful shutdown): Running → Queued, lease cleared, iterations kept.</summary>
    Task RequeueAsync(CancellationToken cancellationToken = default);
}

public readonly record struct HeartbeatResult(bool LeaseHeld, bool CancelRequested);

public sealed class LeaseLostException(string jobId)
    : InvalidOperationException($"The lease on job {jobId} was lost; another worker may hold it now.");
