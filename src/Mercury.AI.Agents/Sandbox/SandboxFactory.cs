namespace Mercury.AI.Agents.Sandbox;

/// <summary>Chooses the sandbox: bubblewrap, or refusal, or (only when asked for) the unsafe mode.</summary>
public static class SandboxFactory
{
    public const string MissingBubblewrapMessage =
        "bubblewrap (bwrap) is not installed, so generated code cannot be isolated and the host refuses to run it. " +
        "Install it (Debian: apt-get install -y bubblewrap), or set Agents:Sandbox:AllowUnsafeNoIsolation=true " +
        "to run generated code WITHOUT isolation on a machine you do not mind losing.";

    public static ISandbox Create(SandboxOptions options)
    {
        var bwrap = BubblewrapSandbox.Locate(options.BubblewrapPath);
        if (bwrap is not null) return new BubblewrapSandbox(bwrap, options);
        if (options.AllowUnsafeNoIsolation) return new UnsafeProcessSandbox();
        throw new SandboxUnavailableException(MissingBubblewrapMessage);
    }
}
