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
        var psi = new ProcessStartInfo("/usr/bin/prlimit") { WorkingDirectory = Path.GetFullPath(request.Workspace) };
        foreach (var arg in CommandLine(request)) psi.ArgumentList.Add(arg);
        psi.Environment["HOME"] = psi.WorkingDirectory;
        var map = Mapper(request);
        foreach (var (k, v) in request.Environment) psi.Environment[k] = map(v);
        return CappedProcess.RunAsync(psi, request.Limits, cancellationToken, request.StandardInput);
    }

    public SandboxLauncher CreateLauncher(SandboxRequest request, string scriptPath)
    {
        var map = Mapper(request);
        var env = request.Environment.Select(kv => $"{kv.Key}={BubblewrapSandbox.ShellQuote(map(kv.Value))} ");
        string body = $"#!/bin/sh\ncd {BubblewrapSandbox.ShellQuote(Path.GetFullPath(request.Workspace))} || exit 125\n"
            + $"exec env {string.Concat(env)}/usr/bin/prlimit {string.Join(" ", CommandLine(request).Select(BubblewrapSandbox.ShellQuote))} \"$@\"\n";
        File.WriteAllText(scriptPath, body);
        _ = Posix.Chmod(scriptPath, Posix.OwnerExecutable);
        return new SandboxLauncher(scriptPath, new NoCleanup());
    }

    private static List<string> CommandLine(SandboxRequest request)
    {
        var map = Mapper(request);
        var args = BubblewrapArguments.Prlimit(request.Limits with { MaxProcesses = null }).ToList();
        args.Add("--");
        args.AddRange(request.Command.Select(map));
        return args;
    }

    private static Func<string, string> Mapper(SandboxRequest request)
    {
        Directory.CreateDirectory(request.Workspace);
        string workspace = Path.GetFullPath(request.Workspace);
        string? inputs = request.Inputs is null ? null : Path.GetFullPath(request.Inputs);
        return s => s.Replace(SandboxPaths.Workspace + "/", workspace + "/", StringComparison.Ordinal)
            .Replace(SandboxPaths.Inputs + "/", (inputs ?? SandboxPaths.Inputs) + "/", StringComparison.Ordinal);
    }

    private sealed class NoCleanup : IDisposable
    {
        public void Dispose() { }
    }
}
