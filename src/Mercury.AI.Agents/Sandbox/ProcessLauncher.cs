using System.Collections.Concurrent;
using System.Diagnostics;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Starts processes from one long-lived thread. bubblewrap's --die-with-parent uses PR_SET_PDEATHSIG, which fires when
/// the *thread* that forked the child exits (prctl(2)) — and thread-pool threads do exit when the pool shrinks. A
/// sandbox started from a pool thread could be killed in mid-run, long before its parent process dies.
/// </summary>
internal static class ProcessLauncher
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Queue = new();

    static ProcessLauncher()
    {
        var thread = new Thread(() =>
        {
            foreach (var (process, started) in Queue.GetConsumingEnumerable())
            {
                try { process.Start(); started.SetResult(); }
                catch (Exception e) { started.SetException(e); }
            }
        })
        { IsBackground = true, Name = "sandbox-launcher" };
        thread.Start();
    }

    public static Task StartAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((process, started));
        return started.Task;
    }
}
