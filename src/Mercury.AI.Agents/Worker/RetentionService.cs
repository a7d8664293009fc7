using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Worker;

/// <summary>
/// Deletes finished jobs, their iterations and their artifacts once they are older than
/// <see cref="AgentHostOptions.RetainFinishedJobs"/> or beyond the newest <see cref="AgentHostOptions.MaxFinishedJobs"/>:
/// at start-up, then every <see cref="AgentHostOptions.RetentionInterval"/>.
/// </summary>
public sealed class RetentionService(IJobStore store, AgentHostOptions options, ILogger<RetentionService> logger, TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionInterval);
        try
        {
            do { await PurgeOnceAsync(stoppingToken).ConfigureAwait(false); }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>One pass; returns the ids of the jobs deleted.</summary>
    public async Task<IReadOnlyList<string>> PurgeOnceAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> ids;
        try
        {
            ids = await store.PurgeFinishedAsync(_time.GetUtcNow() - options.RetainFinishedJobs, options.MaxFinishedJobs, cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreUnavailableException)
        {
            return []; // the workers report it (log and health)
        }
        foreach (var id in ids) WorkFolders.Delete(options.ArtifactsDirectory(id));
        if (ids.Count > 0) logger.LogInformation("Retention: deleted {Count} finished jobs with their iterations and artifacts", ids.Count);
        return ids;
    }
}
