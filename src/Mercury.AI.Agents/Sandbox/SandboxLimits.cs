namespace Mercury.AI.Agents.Sandbox;

/// <summary>Resource limits for one sandboxed run. Null means "no limit of this kind".</summary>
public sealed record SandboxLimits
{
    /// <summary>Wall-clock limit; when it passes the whole process tree is killed.</summary>
    public TimeSpan WallClock { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>CPU seconds per process (RLIMIT_CPU): SIGXCPU, then SIGKILL.</summary>
    public int? CpuSeconds { get; init; } = 10;

    /// <summary>Virtual address space per process (RLIMIT_AS). Null for runtimes that reserve huge ranges (.NET).</summary>
    public long? AddressSpaceBytes { get; init; } = 1L << 30;

    /// <summary>Processes/threads of the sandbox user (RLIMIT_NPROC); stops fork bombs.</summary>
    public int? MaxProcesses { get; init; } = 64;

    /// <summary>Largest file a process may write (RLIMIT_FSIZE).</summary>
    public long? MaxFileSizeBytes { get; init; } = 16L << 20;

    /// <summary>Bytes kept of stdout and of stderr each; a run that writes more than this is killed.</summary>
    public int MaxOutputBytes { get; init; } = 256 << 10;

    public static SandboxLimits Default { get; } = new();
}
