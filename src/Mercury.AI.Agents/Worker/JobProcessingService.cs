using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Worker;

/// <summary>
/// The hosting adapter: N worker loops (N = <see cref="AgentHostOptions.MaxConcurrentJobs"/>), each fetching and running
/// one job at a time. Stopping the host cancels the running jobs, which are requeued with their iterations kept.
/// </summary>
public sealed class JobProcessingService(JobWorker worker, AgentHostOptions options, ILogger<JobProcessingService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Agent host {WorkerId}: {Count} workers, {PromptStyle} prompts, data in {DataDirectory}",
            options.WorkerId, options.MaxConcurrentJobs, options.PromptStyle, options.DataDirectory);
        return Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.MaxConcurrentJobs)).Select(_ => Task.Run(() => WorkLoopAsync(stoppingToken), CancellationToken.None)));
    }

    private async Task WorkLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked;
            try
            {
                worked = await worker.ProcessNextAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Worker loop error; retrying");
                worked = false;
            }
            if (!worked)
            {
                try { await Task.Delay(options.PollInterval, stoppingToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
