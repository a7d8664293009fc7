using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Storage;

/// <summary>
/// The durable side of the host: jobs, their iterations, and who holds which job. Implementations: SQLite (one
/// machine, the default) and PostgreSQL (many hosts); both pass the same contract tests. Every implementation
/// enforces <see cref="JobStoreLimits"/> (poison jobs, output caps, queue length), given to its constructor, and throws
/// <see cref="JobStoreUnavailableException"/>, with a way to recover, when the store itself cannot be used.
/// </summary>
public interface IJobStore
{
    /// <summary>Stores a checked job as Queued, in one transaction. Throws <see cref="JobQueueFullException"/> when
    /// <see cref="JobStoreLimits.MaxQueuedJobs"/> jobs are already queued.</summary>
    Task<string> EnqueueAsync(JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the oldest claimable job — Queued, or Running with an expired lease (its host died) — for
    /// <paramref name="leaseDuration"/>, and starts a new lease generation (<see cref="JobRecord.Claims"/> + 1). Null
    /// when there is none. At most one holder at a time: the claim is one transaction, and every later write of the
    /// claim is fenced by its generation. A job whose lease has expired <see cref="JobStoreLimits.MaxExpiredLeases"/>
    /// times is not claimed but ends in Error, with the reason.
    /// </summary>
    Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="TryFetchAsync(string, TimeSpan, CancellationToken)"/>, for the one job
    /// <paramref name="jobId"/> only (<c>mercury-agents run</c> executes the job it submitted and no other).</summary>
    Task<IFetchedJob?> TryFetchAsync(string workerId, TimeSpan leaseDuration, string jobId, CancellationToken cancellationToken = default);

    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<JobRecord>> ListAsync(int limit = 100, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<IterationRecord>> GetIterationsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The steps of a workspace job, in order (none for a function job).</summary>
    Task<IReadOnlyList<StepRecord>> GetStepsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A queued job becomes Cancelled at once; a running one is flagged and its worker stops it (and its sandbox).</summary>
    Task<CancelResult> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes the finished jobs (and their iterations and steps) that finished before <paramref name="finishedBefore"/>,
    /// and those beyond the <paramref name="keepLatest"/> most recently finished. Queued and running jobs are never
    /// touched. Returns the ids deleted, so that the host removes their artifacts.
    /// </summary>
    Task<IReadOnlyList<string>> PurgeFinishedAsync(DateTimeOffset finishedBefore, int keepLatest, CancellationToken cancellationToken = default);
}

public enum CancelResult { NotFound, AlreadyFinished, Cancelled, CancelRequested }

/// <summary>
/// A claimed job and its lease (Hangfire's IFetchedJob): the worker renews it with heartbeats, appends iterations
/// under it, and ends it by completing or requeueing.
/// <para>Fencing: every write names <see cref="Generation"/> and is applied only while the job is Running under that
/// generation. A holder that stalled past its lease and was taken over (the job now has a later generation) can write
/// nothing: its late iteration is rejected with <see cref="LeaseLostException"/>, never merged.</para>
/// </summary>
public interface IFetchedJob
{
    JobRecord Job { get; }

    /// <summary>The lease generation of this claim (equal to <c>Job.Claims</c>); the fencing token of every write.</summary>
    int Generation { get; }

    /// <summary>Renews the lease. <c>LeaseHeld</c> false: the lease was lost (taken over or ended) — stop working on the job.</summary>
    Task<HeartbeatResult> HeartbeatAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a finished iteration, its text as <see cref="JobStoreLimits.Cap"/> keeps it (and renews the
    /// lease); throws <see cref="LeaseLostException"/> if the lease is gone. Idempotent per (job, number, generation): a
    /// retry after a lost acknowledgement stores nothing twice.</summary>
    Task AppendIterationAsync(IterationRecord iteration, CancellationToken cancellationToken = default);

    /// <summary>Stores a step of a workspace job under the lease, as <see cref="AppendIterationAsync"/> stores an
    /// iteration: its text capped by <see cref="JobStoreLimits.Cap(StepRecord, long)"/>, its <see cref="StepRecord.Data"/>
    /// whole (one larger than <see cref="JobStoreLimits.MaxStepDataChars"/> is refused with
    /// <see cref="ArgumentException"/> before anything is written). Fenced (<see cref="LeaseLostException"/>) and
    /// idempotent per (job, number, generation).</summary>
    Task AppendStepAsync(StepRecord step, CancellationToken cancellationToken = default);

    /// <summary>Guarded final transition Running → <paramref name="state"/>, applied once; throws
    /// <see cref="LeaseLostException"/> if another generation holds (or ended) the job.</summary>
    Task CompleteAsync(JobState state, string summary, int? bestIteration, CancellationToken cancellationToken = default);

    /// <summary>Gives the job back (graceful shutdown): Running → Queued, lease cleared, iterations kept.</summary>
    Task RequeueAsync(CancellationToken cancellationToken = default);
}

public readonly record struct HeartbeatResult(bool LeaseHeld, bool CancelRequested);

public sealed class LeaseLostException(string jobId)
    : InvalidOperationException($"The lease on job {jobId} was lost; another worker may hold it now.");
