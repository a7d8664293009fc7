using Mercury.AI.Agents.Diagnostics;
using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Worker;

/// <summary>
/// Announces this host in the store's <see cref="IHostRegistry"/> every heartbeat interval (for `status`), refreshes the
/// store-wide job gauges, and unregisters at graceful shutdown. Liveness of jobs does not depend on it: each job has
/// its own lease.
/// </summary>
public sealed class HostHeartbeatService(IJobStore store, AgentHostOptions options, ILogger<HostHeartbeatService> logger) : BackgroundService
{
    private readonly IHostRegistry? _registry = store as IHostRegistry;

    private string Description => $"{options.MaxConcurrentJobs} workers on {Environment.MachineName}, pid {Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_registry is null) return;
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        do
        {
            try
            {
                await _registry.HeartbeatAsync(options.WorkerId, Description, stoppingToken).ConfigureAwait(false);
                if (AgentTelemetry.StoreJobs.Enabled) AgentTelemetry.SetStoreCounts(await _registry.CountJobsAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Host heartbeat failed: {Message}", e.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try { return await timer.WaitForNextTickAsync(token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_registry is null) return;
        try { await _registry.RemoveAsync(options.WorkerId, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning("Could not unregister host: {Message}", e.Message); }
    }
}
