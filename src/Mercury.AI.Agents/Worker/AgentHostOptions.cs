namespace Mercury.AI.Agents.Worker;

/// <summary>Settings of the job host (configuration section "Agents").</summary>
public sealed class AgentHostOptions
{
    /// <summary>Holds jobs.db, artifacts/ and work/.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    /// <summary>Jobs run at once by this host.</summary>
    public int MaxConcurrentJobs { get; set; } = 2;

    /// <summary>How prompts are shaped; <see cref="Agent.PromptStyle.Compact"/> suits the small embedded model.</summary>
    public Agent.PromptStyle PromptStyle { get; set; } = Agent.PromptStyle.Full;

    /// <summary>Sampling temperature of a job's fresh restarts (each also gets its own seed); 0 keeps them greedy.</summary>
    public double RestartTemperature { get; set; } = Agent.AgentLoop.DefaultRestartTemperature;

    /// <summary>A job whose lease is not renewed for this long is taken to be orphaned and is resumed by any host.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job renews its lease and looks for a cancel request.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often an idle worker looks for a job.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Names this host in leases.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public string DatabasePath => Path.Combine(DataDirectory, "jobs.db");

    public string ArtifactsDirectory(string jobId) => Path.Combine(DataDirectory, "artifacts", jobId);

    public static string DefaultDataDirectory =>
        Environment.GetEnvironmentVariable("MERCURY_AGENTS_DATA")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "mercury-agents");
}
