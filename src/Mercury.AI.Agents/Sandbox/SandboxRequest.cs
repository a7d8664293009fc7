namespace Mercury.AI.Agents.Sandbox;

/// <summary>One command to run in a sandbox.</summary>
/// <param name="Command">argv; the first element is an absolute path of a program inside the sandbox.</param>
/// <param name="Workspace">host folder whose files (put there before the run) appear read-only in the run's
/// <see cref="SandboxPaths.Workspace"/>. That folder itself is a private, size-capped tmpfs in the bubblewrap
/// sandbox: what the code writes there is gone with the run and never reaches the host's disk. (In the unsafe mode it
/// is this host folder.)</param>
/// <param name="Inputs">optional host folder mounted read-only at <see cref="SandboxPaths.Inputs"/> (tests, harness): code can read it, never change it.</param>
public sealed record SandboxRequest(IReadOnlyList<string> Command, string Workspace, string? Inputs = null)
{
    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>Environment of the sandboxed process; nothing is inherited from the host.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Written to the program's standard input, which is then closed. Harnesses read their per-run secret from
    /// it: unlike argv, environment and files, stdin is gone once read.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Host folders bound read-write at their own path — for a program that a host process addresses by host
    /// path (Playwright and the browser profile). Their contents are the code's to change.</summary>
    public IReadOnlyList<string> SharedFolders { get; init; } = [];

    /// <summary>Host folders bound read-only at their own path — what a program is pointed at by host path and only
    /// reads (the host's NuGet package folder, for an offline restore). The unsafe mode reads them in place.</summary>
    public IReadOnlyList<string> ReadOnlyFolders { get; init; } = [];
}

/// <summary>Where things are inside the sandbox.</summary>
public static class SandboxPaths
{
    public const string Workspace = "/work";
    public const string Inputs = "/inputs";
}

/// <summary>What happened.</summary>
public sealed record SandboxResult
{
    public required int ExitCode { get; init; }
    public required string Stdout { get; init; }
    public required string Stderr { get; init; }
    public required TimeSpan Duration { get; init; }

    /// <summary>Killed because the wall clock ran out.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Killed because it wrote more than <see cref="SandboxLimits.MaxOutputBytes"/>.</summary>
    public bool OutputLimitExceeded { get; init; }

    /// <summary>Killed because the caller cancelled.</summary>
    public bool Cancelled { get; init; }

    /// <summary>A process of the run was killed by the kernel because the run reached its memory limit (cgroup).</summary>
    public bool OutOfMemory { get; init; }

    /// <summary>The most memory the run held at once, where a cgroup measured it.</summary>
    public long? PeakMemoryBytes { get; init; }

    public bool Succeeded => ExitCode == 0 && !TimedOut && !OutputLimitExceeded && !Cancelled && !OutOfMemory;

    /// <summary>One line for logs and feedback: why it ended.</summary>
    public string Describe() =>
        TimedOut ? "killed: wall-clock limit reached"
        : OutputLimitExceeded ? "killed: output limit exceeded"
        : Cancelled ? "killed: cancelled"
        : OutOfMemory ? $"killed: the run's memory limit was reached (exit code {ExitCode})"
        : ExitCode switch
        {
            0 => "exit code 0",
            137 => "exit code 137 (SIGKILL: a resource limit such as CPU time or memory)",
            134 => "exit code 134 (SIGABRT: an assertion or abort)",
            139 => "exit code 139 (SIGSEGV)",
            152 => "exit code 152 (SIGXCPU: CPU time limit)",
            153 => "exit code 153 (SIGXFSZ: file size limit)",
            _ => $"exit code {ExitCode}",
        };
}
