using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;

namespace Mercury.AI.Agents.Host;

public static partial class Cli
{
    /// <summary>`status`: the hosts registered in the store and the jobs by state. A host silent for longer than a lease
    /// is marked "silent": it died or is stalled, and its jobs are claimable once their leases end.</summary>
    private static async Task<int> StatusAsync(IJobStore store, AgentHostOptions options, bool json, TextWriter @out, CancellationToken cancellationToken)
    {
        if (store is not IHostRegistry registry)
        {
            await Console.Error.WriteLineAsync($"the store {store.GetType().Name} keeps no host registry");
            return 2;
        }
        var hosts = await registry.ListHostsAsync(cancellationToken);
        var counts = await registry.CountJobsAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        if (json)
        {
            await @out.WriteLineAsync(JsonSerializer.Serialize(new
            {
                hosts = hosts.Select(h => new { h.Id, h.Description, h.StartedAt, h.LastHeartbeat, h.JobsHeld, silent = now - h.LastHeartbeat > options.LeaseDuration }),
                jobs = counts.ToDictionary(c => c.Key.ToWire(), c => c.Value),
            }, LoopbackApi.Json));
            return 0;
        }
        await @out.WriteLineAsync($"{"host",-32} {"last heartbeat (UTC)",-20} {"ago",6} {"jobs held",9}  description");
        foreach (var h in hosts)
        {
            var ago = now - h.LastHeartbeat;
            await @out.WriteLineAsync($"{h.Id,-32} {h.LastHeartbeat:yyyy-MM-dd HH:mm:ss} {ago.TotalSeconds,5:0}s {h.JobsHeld,9}  {h.Description}{(ago > options.LeaseDuration ? "  (silent: dead or stalled)" : "")}");
        }
        if (hosts.Count == 0) await @out.WriteLineAsync("(no host is registered)");
        await @out.WriteLineAsync("jobs: " + string.Join(", ", counts.Select(c => $"{c.Key.ToWire()} {c.Value}")));
        return 0;
    }
}
