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

    /// <summary>Open files per process (RLIMIT_NOFILE): bounds the run's share of the host-wide file table.</summary>
    public int? MaxOpenFiles { get; init; } = 256;

    /// <summary>
    /// Memory of the whole run — all its processes and the pages of its tmpfs mounts — as a cgroup's memory limit,
    /// where the host can create cgroups (<see cref="ISandbox.Description"/> says whether it can). Tasks of the run
    /// are capped at <see cref="MaxProcesses"/> the same way (pids.max).
    /// </summary>
    public long? MemoryBytes { get; init; } = 512L << 20;

    /// <summary>Size of the run's private /work (a tmpfs; nothing written there reaches the host's disk).</summary>
    public long WorkspaceBytes { get; init; } = 64L << 20;

    /// <summary>Size of the run's private /tmp (a tmpfs).</summary>
    public long TmpBytes { get; init; } = 64L << 20;

    /// <summary>Size of the run's private /dev/shm (a tmpfs).</summary>
    public long ShmBytes { get; init; } = 16L << 20;

    public static SandboxLimits Default { get; } = new();
}
