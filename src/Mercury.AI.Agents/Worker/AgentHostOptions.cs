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

    /// <summary>When set, this host claims that job and no other (<c>mercury-agents run</c> runs the job it submitted).</summary>
    public string? OnlyJobId { get; set; }

    /// <summary>When set, this host claims these jobs and no others (<c>mercury-agents eval</c> runs the jobs it submitted).</summary>
    public IReadOnlyCollection<string>? OnlyJobIds { get; set; }

    /// <summary>Workspace jobs: output tokens of one model turn (see <see cref="Workspaces.WorkspaceAgentOptions"/>).</summary>
    public int WorkspaceTokensPerTurn { get; set; } = 4096;

    /// <summary>Finished jobs, their iterations and artifacts are deleted this long after they finished.</summary>
    public TimeSpan RetainFinishedJobs { get; set; } = TimeSpan.FromDays(30);

    /// <summary>At most this many finished jobs are kept (the most recently finished); older ones are deleted.</summary>
    public int MaxFinishedJobs { get; set; } = 1000;

    /// <summary>How often retention runs (also once at start-up).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The bounds the job store enforces: poison jobs, stored output, queue length.</summary>
    public Storage.JobStoreLimits StoreLimits { get; set; } = Storage.JobStoreLimits.Default;

    /// <summary>Names this host in leases.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public string DatabasePath => Path.Combine(DataDirectory, "jobs.db");

    public string ArtifactsDirectory(string jobId) => Path.Combine(DataDirectory, "artifacts", jobId);

    /// <summary>Where hosts keep the scratch folders of the jobs they run (see <see cref="Worker.WorkFolders"/>).</summary>
    public string WorkDirectory => Path.Combine(DataDirectory, "work");

    public static string DefaultDataDirectory =>
        Environment.GetEnvironmentVariable("MERCURY_AGENTS_DATA")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "mercury-agents");
}
