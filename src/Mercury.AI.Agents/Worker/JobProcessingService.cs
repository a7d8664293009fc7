using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Worker;

/// <summary>
/// The hosting adapter: N worker loops (N = <see cref="AgentHostOptions.MaxConcurrentJobs"/>), each fetching and running
/// one job at a time. Stopping the host cancels the running jobs, which are requeued with their iterations kept.
/// A job store that cannot be used is reported once (log and <see cref="AgentHostHealth"/>) and retried with a growing
/// pause, not every poll.
/// </summary>
public sealed class JobProcessingService(JobWorker worker, AgentHostOptions options, AgentHostHealth health, ILogger<JobProcessingService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Agent host {WorkerId}: {Count} workers, {PromptStyle} prompts, data in {DataDirectory}",
            options.WorkerId, options.MaxConcurrentJobs, options.PromptStyle, options.DataDirectory);
        // Work folders of hosts that were killed (their lock is free) go now; nothing else ever removes them.
        int swept = WorkFolders.SweepStale(options.WorkDirectory);
        if (swept > 0) logger.LogInformation("Removed {Count} work folders left by hosts that stopped without cleaning up", swept);
        return Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.MaxConcurrentJobs)).Select(_ => Task.Run(() => WorkLoopAsync(stoppingToken), CancellationToken.None)));
    }

    private async Task WorkLoopAsync(CancellationToken stoppingToken)
    {
        var backoff = options.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked = false;
            try
            {
                worked = await worker.ProcessNextAsync(stoppingToken).ConfigureAwait(false);
                if (health.Clear()) logger.LogInformation("The job store works again");
                backoff = options.PollInterval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (JobStoreUnavailableException e)
            {
                if (health.Report(e.Message)) logger.LogCritical("The job store cannot be used; no job is claimed until it can. {Message}", e.Message);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
            catch (Exception e)
            {
                logger.LogError(e, "Worker loop error; retrying");
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
            if (!worked)
            {
                try { await Task.Delay(backoff, stoppingToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
