namespace Mercury.AI.Agents.Sandbox;

/// <summary>How to build the sandbox (bound from configuration section "Agents:Sandbox").</summary>
public sealed class SandboxOptions
{
    /// <summary>Path of bwrap; null = look on PATH and in /usr/bin.</summary>
    public string? BubblewrapPath { get; set; }

    /// <summary>
    /// Run generated code WITHOUT isolation when bubblewrap is missing. Off by default: the host refuses to run code.
    /// Only for a developer machine where the code is trusted.
    /// </summary>
    public bool AllowUnsafeNoIsolation { get; set; }

    /// <summary>When the host runs as root, sandboxed code runs as uid FirstUid + (n mod UidCount) so RLIMIT_NPROC bites (root is exempt from it).</summary>
    public int FirstUid { get; set; } = 60100;

    public int UidCount { get; set; } = 256;

    /// <summary>The sandbox's private state (uid locks, seccomp program); null = /run/mercury-sandbox as root, else a
    /// per-user folder under the temp path. It must be owned by the host user and mode 0700.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Limit each run's memory and tasks with a cgroup where the host can create one (see the start-up log).</summary>
    public bool UseCgroups { get; set; } = true;
}
