using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mercury.AI.Agents.Diagnostics;

/// <summary>
/// The host's traces and metrics, under one name: <see cref="Name"/> ("Mercury.AI.Agents"). Traces: a <c>job</c> span per
/// claim, an <c>iteration</c> span per model call + test run, a <c>sandbox</c> span per test run; the model call inside
/// carries the trace to a remote server (HttpClient sends <c>traceparent</c>). Metrics follow the OpenTelemetry naming
/// rules; subscribe with OpenTelemetry (AddMeter/AddSource) or <c>dotnet-counters monitor -n mercury-agents Mercury.AI.Agents</c>.
/// </summary>
public static class AgentTelemetry
{
    public const string Name = "Mercury.AI.Agents";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Jobs claimed by this host (a resumed job counts once per claim).</summary>
    public static readonly Counter<long> JobsClaimed = Meter.CreateCounter<long>("mercury.agents.jobs.claimed", "{job}");

    /// <summary>Jobs this host ended, tagged <c>state</c>: succeeded, failed, cancelled, error.</summary>
    public static readonly Counter<long> JobsCompleted = Meter.CreateCounter<long>("mercury.agents.jobs.completed", "{job}");

    /// <summary>Jobs this host stopped without ending, tagged <c>reason</c>: requeued (shutdown), lease_lost.</summary>
    public static readonly Counter<long> JobsReleased = Meter.CreateCounter<long>("mercury.agents.jobs.released", "{job}");

    /// <summary>Jobs running on this host now.</summary>
    public static readonly UpDownCounter<long> JobsRunning = Meter.CreateUpDownCounter<long>("mercury.agents.jobs.running", "{job}");

    public static readonly Histogram<double> IterationDuration = Meter.CreateHistogram<double>("mercury.agents.iteration.duration", "s",
        "One iteration: the model call and the test runs.");

    public static readonly Histogram<double> SandboxDuration = Meter.CreateHistogram<double>("mercury.agents.sandbox.duration", "s",
        "One test run in the sandbox, tagged language.");

    public static readonly Histogram<double> ClaimDuration = Meter.CreateHistogram<double>("mercury.agents.claim.duration", "s",
        "One claim attempt against the store (found a job or not).");

    private static volatile IReadOnlyDictionary<Jobs.JobState, int> s_storeCounts = new Dictionary<Jobs.JobState, int>();

    /// <summary>Store-wide jobs by state (all hosts), as of this host's last heartbeat, tagged <c>state</c>.</summary>
    public static readonly ObservableGauge<int> StoreJobs = Meter.CreateObservableGauge("mercury.agents.store.jobs",
        () => s_storeCounts.Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("state", Jobs.JobStateExtensions.ToWire(c.Key)))),
        "{job}", "Jobs in the shared store by state (queued, running, succeeded, failed, ...), refreshed each host heartbeat.");

    internal static void SetStoreCounts(IReadOnlyDictionary<Jobs.JobState, int> counts) => s_storeCounts = counts;
}
