using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Mercury.AI.Agents.Tests.Host;

/// <summary>mercury-agents (built next to the tests) as a child process.</summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private HostProcess(Process process) => _process = process;

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "mercury-agents.dll");

    public static HostProcess Start(params string[] args) => StartDll(HostDll, args);

    /// <summary>mercury-agents with extra environment variables.</summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) => StartDll(HostDll, args, environment);

    /// <summary>mercury-server on the embedded model, on the CPU, at http://127.0.0.1:<paramref name="port"/>.</summary>
    public static HostProcess StartServer(int port, IReadOnlyDictionary<string, string>? environment = null) =>
        StartDll(Path.Combine(AppContext.BaseDirectory, "mercury-server.dll"), ["--urls", $"http://127.0.0.1:{port}", "--device", "cpu"], environment);

    private static HostProcess StartDll(string dll, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        psi.ArgumentList.Add(dll);
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

    public int Id => _process.Id;

    /// <summary>The worker id the host writes into its leases (AgentHostOptions.WorkerId).</summary>
    public string WorkerId => $"{Environment.MachineName}:{_process.Id}";

    /// <summary>SIGSTOP: the host freezes (a long GC pause, a stalled VM) and its leases run out.</summary>
    public void Pause() => Signal(19);

    /// <summary>SIGCONT: the frozen host carries on as if nothing happened.</summary>
    public void Resume() => Signal(18);

    /// <summary>SIGTERM: a graceful stop (running jobs are handed back); waits for the exit.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        Signal(15);
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // the timed overload does not wait for the redirected output: its last lines (completions) may still be in flight
        return true;
    }

    private void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

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
