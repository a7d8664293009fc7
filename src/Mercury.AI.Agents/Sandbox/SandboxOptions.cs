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
}
