using System.Diagnostics;
using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Diagnostics;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Worker;

/// <summary>
/// Runs one job at a time, in the order fetch → guarded state transition → perform → acknowledge (after Hangfire's
/// Worker). Delivery guarantees, by checkpoint:
/// <list type="bullet">
/// <item>Fetch: the claim and the Queued/expired → Running transition are one transaction that starts a new lease
/// generation, so a job has one holder at a time.</item>
/// <item>Perform: each finished iteration (a workspace job: each model turn and tool call) is committed under the lease
/// before the next begins. One that was in flight when the host died is run again (AT LEAST once); stored ones are
/// never re-run.</item>
/// <item>Acknowledge: the final state is written only under this claim's lease generation, and once (EXACTLY one
/// completion record); a worker that lost its lease (fenced off) writes nothing and stops.</item>
/// </list>
/// </summary>
public sealed class JobWorker(IJobStore store, AgentLoop loop, AgentHostOptions options, ILogger<JobWorker>? logger = null,
    Workspaces.WorkspaceAgent? workspaceAgent = null) : IDisposable
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly Lazy<WorkFolders> _work = new(() => WorkFolders.Claim(options.WorkDirectory));

    private enum StopReason { None, CancelRequested, LeaseLost }

    /// <summary>Processes the next job if there is one; false when the queue was empty.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken stoppingToken)
    {
        // 1. Fetch (and the Running transition, with a new lease generation).
        long claimStart = Stopwatch.GetTimestamp();
        var fetched = await FetchAsync(stoppingToken).ConfigureAwait(false);
        var claimTime = Stopwatch.GetElapsedTime(claimStart);
        AgentTelemetry.ClaimDuration.Record(claimTime.TotalSeconds);
        if (fetched is null) return false;
        var job = fetched.Job;
        _logger.LogInformation("Claimed job {JobId} ({Language}, claim {Claims}) in {ClaimMs:0.0} ms", job.Id, job.Spec.Language, job.Claims, claimTime.TotalMilliseconds);
        using var activity = AgentTelemetry.Source.StartActivity("job");
        activity?.SetTag("mercury.job.id", job.Id);
        activity?.SetTag("mercury.job.claim", fetched.Generation);
        AgentTelemetry.JobsClaimed.Add(1);
        AgentTelemetry.JobsRunning.Add(1);

        using var jobCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var stop = new StopSignal();
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(fetched, jobCancellation, stop, heartbeatStop.Token);
        string workDirectory = _work.Value.ForJob(job.Id, job.Claims);
        try
        {
            // 2. Perform: resume after the stored iterations (or, for a workspace job, steps).
            var outcome = job.Spec.Workspace is null
                ? await PerformAsync(fetched, workDirectory, stoppingToken, jobCancellation.Token).ConfigureAwait(false)
                : await PerformWorkspaceAsync(fetched, workDirectory, stoppingToken, jobCancellation.Token).ConfigureAwait(false);

            // 3. Acknowledge.
            await CompleteAsync(fetched, outcome.Succeeded ? JobState.Succeeded : JobState.Failed, outcome.Reason, outcome.Best?.Number).ConfigureAwait(false);
            _logger.LogInformation("Job {JobId} {State}: {Reason}", job.Id, outcome.Succeeded ? "succeeded" : "failed", outcome.Reason);
        }
        catch (Exception e) when (e is OperationCanceledException || jobCancellation.IsCancellationRequested)
        {
            switch (stop.Value)
            {
                case StopReason.CancelRequested:
                    await CompleteAsync(fetched, JobState.Cancelled, "cancelled while running; finished iterations kept", null).ConfigureAwait(false);
                    _logger.LogInformation("Job {JobId} cancelled", job.Id);
                    break;
                case StopReason.LeaseLost:
                    AgentTelemetry.JobsReleased.Add(1, new KeyValuePair<string, object?>("reason", "lease_lost"));
                    _logger.LogWarning("Lost the lease on job {JobId}; another worker has it", job.Id);
                    break;
                default:
                    // Shutdown: give the job back so this or another host resumes it from its last finished iteration.
                    await fetched.RequeueAsync(CancellationToken.None).ConfigureAwait(false);
                    AgentTelemetry.JobsReleased.Add(1, new KeyValuePair<string, object?>("reason", "requeued"));
                    _logger.LogInformation("Job {JobId} requeued at shutdown", job.Id);
                    break;
            }
        }
        catch (LeaseLostException e)
        {
            // Fenced off: this host stalled past its lease and another took the job; what it was writing is dropped.
            AgentTelemetry.JobsReleased.Add(1, new KeyValuePair<string, object?>("reason", "lease_lost"));
            _logger.LogWarning("{Message}", e.Message);
        }
        catch (JobStoreUnavailableException e)
        {
            // The store stayed unreachable past the retries, or cannot be used at all: what was not stored will run again
            // (AT LEAST once). The job is not failed for it: given back if the store answers, else resumed when the lease
            // ends (a damaged store is also reported by the worker loop, through the host's health).
            _logger.LogWarning(e.InnerException, "Job {JobId}: the store is unavailable ({Message}); releasing the job", job.Id, e.Message);
            try { await fetched.RequeueAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (Exception requeue) when (requeue is not OperationCanceledException) { _logger.LogWarning("Requeue failed too: {Message}", requeue.Message); }
            AgentTelemetry.JobsReleased.Add(1, new KeyValuePair<string, object?>("reason", "store_unavailable"));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Job {JobId} failed to run", job.Id);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            try { await CompleteAsync(fetched, JobState.Error, $"{e.GetType().Name}: {e.Message}", null).ConfigureAwait(false); }
            catch (LeaseLostException) { }
        }
        finally
        {
            AgentTelemetry.JobsRunning.Add(-1);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            if (!WorkFolders.Delete(workDirectory)) _logger.LogWarning("Could not delete all of {Folder}", workDirectory);
        }
        return true;
    }

    private async Task<IFetchedJob?> FetchAsync(CancellationToken stoppingToken)
    {
        if (options.OnlyJobIds is { } ids)
        {
            foreach (var id in ids)
                if (await store.TryFetchAsync(options.WorkerId, options.LeaseDuration, id, stoppingToken).ConfigureAwait(false) is { } one) return one;
            return null;
        }
        return options.OnlyJobId is { } only
            ? await store.TryFetchAsync(options.WorkerId, options.LeaseDuration, only, stoppingToken).ConfigureAwait(false)
            : await store.TryFetchAsync(options.WorkerId, options.LeaseDuration, stoppingToken).ConfigureAwait(false);
    }

    private async Task<AgentOutcome> PerformAsync(IFetchedJob fetched, string workDirectory, CancellationToken stoppingToken, CancellationToken jobToken)
    {
        var job = fetched.Job;
        var previous = await store.GetIterationsAsync(job.Id, stoppingToken).ConfigureAwait(false);
        if (previous.Count > 0) _logger.LogInformation("Resuming job {JobId} after iteration {Number}", job.Id, previous[^1].Number);
        return await loop.RunAsync(job.Spec, previous, (it, ct) => StoreIterationAsync(fetched, it, ct),
            workDirectory, options.ArtifactsDirectory(job.Id), jobToken).ConfigureAwait(false);
    }

    private async Task<AgentOutcome> PerformWorkspaceAsync(IFetchedJob fetched, string workDirectory, CancellationToken stoppingToken, CancellationToken jobToken)
    {
        var job = fetched.Job;
        if (workspaceAgent is null) throw new InvalidOperationException("This host has no workspace agent to run workspace jobs (AddAgentCore registers one).");
        var previous = await store.GetStepsAsync(job.Id, stoppingToken).ConfigureAwait(false);
        if (previous.Count > 0) _logger.LogInformation("Resuming workspace job {JobId} after step {Number}", job.Id, previous[^1].Number);
        return await workspaceAgent.RunAsync(job.Spec, previous, (step, ct) => StoreStepAsync(fetched, step, ct), workDirectory, jobToken).ConfigureAwait(false);
    }

    private static async Task StoreStepAsync(IFetchedJob fetched, StepRecord step, CancellationToken cancellationToken)
    {
        try { await fetched.AppendStepAsync(step, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not (LeaseLostException or OperationCanceledException or InvalidOperationException or ArgumentException or JobStoreUnavailableException))
        {
            throw new JobStoreUnavailableException($"The job store is unavailable: {e.Message}", e);
        }
    }

    private static async Task StoreIterationAsync(IFetchedJob fetched, IterationRecord iteration, CancellationToken cancellationToken)
    {
        try { await fetched.AppendIterationAsync(iteration, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not (LeaseLostException or OperationCanceledException or InvalidOperationException or JobStoreUnavailableException))
        {
            throw new JobStoreUnavailableException($"The job store is unavailable: {e.Message}", e);
        }
    }

    /// <summary>Acknowledge: the one completion record, written only under this claim's lease generation.</summary>
    private static async Task CompleteAsync(IFetchedJob fetched, JobState state, string summary, int? best)
    {
        await fetched.CompleteAsync(state, summary, best, CancellationToken.None).ConfigureAwait(false);
        AgentTelemetry.JobsCompleted.Add(1, new KeyValuePair<string, object?>("state", state.ToWire()));
        Activity.Current?.SetTag("mercury.job.state", state.ToWire());
    }

    private async Task HeartbeatAsync(IFetchedJob fetched, CancellationTokenSource job, StopSignal stop, CancellationToken token)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                HeartbeatResult beat;
                try { beat = await fetched.HeartbeatAsync(token).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Heartbeat of job {JobId} failed; retrying", fetched.Job.Id);
                    continue; // a busy database is not a lost lease; the lease outlives several heartbeats
                }
                if (!beat.LeaseHeld) stop.Value = StopReason.LeaseLost;
                else if (beat.CancelRequested) stop.Value = StopReason.CancelRequested;
                if (stop.Value != StopReason.None)
                {
                    await job.CancelAsync().ConfigureAwait(false); // kills the sandbox of the running test
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        if (_work.IsValueCreated) _work.Value.Dispose();
    }

    /// <summary>Why the heartbeat stopped the job; written by the heartbeat, read by the worker after the cancellation.</summary>
    private sealed class StopSignal
    {
        private volatile int _reason;

        public StopReason Value { get => (StopReason)_reason; set => _reason = (int)value; }
    }
}
