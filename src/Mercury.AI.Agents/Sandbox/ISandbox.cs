namespace Mercury.AI.Agents.Sandbox;

/// <summary>Runs untrusted code. Implementations are thread-safe.</summary>
public interface ISandbox
{
    /// <summary>True when the run is isolated (no network, private filesystem); false only for the explicit unsafe mode.</summary>
    bool IsIsolated { get; }

    /// <summary>Human-readable description, logged at start-up.</summary>
    string Description { get; }

    /// <summary>Runs the request; cancelling kills the whole process tree and returns a result with <see cref="SandboxResult.Cancelled"/>.</summary>
    Task<SandboxResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes an executable script at <paramref name="scriptPath"/> that runs <see cref="SandboxRequest.Command"/>, plus
    /// the arguments the script is given, in this sandbox — for a program another component starts and talks to over
    /// inherited pipes (Playwright and the browser). The request's <see cref="SandboxRequest.StandardInput"/> is not used.
    /// </summary>
    SandboxLauncher CreateLauncher(SandboxRequest request, string scriptPath);
}

/// <summary>Thrown when code would run without isolation and the unsafe mode was not chosen.</summary>
public sealed class SandboxUnavailableException(string message) : InvalidOperationException(message);
