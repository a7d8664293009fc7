using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>mercury-agents (built next to the tests) as a child process.</summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private HostProcess(Process process) => _process = process;

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "mercury-agents.dll");

    public static HostProcess Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(HostDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => { lock (host._output) host._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (host._output) host._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the process to end by itself; its exit code, or null when it had to be killed.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { KillHard(); return null; }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>kill -9 of the host and everything it started.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
        _process.WaitForExit();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }
}
