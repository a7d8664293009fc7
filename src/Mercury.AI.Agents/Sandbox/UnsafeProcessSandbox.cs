using System.Diagnostics;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// NO ISOLATION: runs the code as the host user, with network and the host filesystem. Only the prlimit limits,
/// the output cap and the wall-clock kill apply. Chosen only with <see cref="SandboxOptions.AllowUnsafeNoIsolation"/>.
/// Sandbox paths are mapped to the host folders by rewriting arguments that start with them.
/// </summary>
public sealed class UnsafeProcessSandbox : ISandbox
{
    public bool IsIsolated => false;

    public string Description => "UNSAFE: no isolation (bubblewrap not found and Agents:Sandbox:AllowUnsafeNoIsolation=true)";

    public Task<SandboxResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(request.Workspace);
        string workspace = Path.GetFullPath(request.Workspace);
        string? inputs = request.Inputs is null ? null : Path.GetFullPath(request.Inputs);
        string Map(string s) =>
            s.Replace(SandboxPaths.Workspace + "/", workspace + "/", StringComparison.Ordinal)
             .Replace(SandboxPaths.Inputs + "/", (inputs ?? SandboxPaths.Inputs) + "/", StringComparison.Ordinal);

        var psi = new ProcessStartInfo("/usr/bin/prlimit") { WorkingDirectory = workspace };
        foreach (var arg in BubblewrapSandbox.PrlimitArguments(request.Limits with { MaxProcesses = null })) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("--");
        foreach (var arg in request.Command) psi.ArgumentList.Add(Map(arg));
        psi.Environment["HOME"] = workspace;
        foreach (var (k, v) in request.Environment) psi.Environment[k] = Map(v);
        return CappedProcess.RunAsync(psi, request.Limits, cancellationToken);
    }
}
