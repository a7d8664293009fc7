using System.Diagnostics;
using System.Text;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Starts a process, keeps at most N bytes of each output stream, and kills the whole process tree on
/// wall-clock timeout, output overflow or cancellation. Shared by the bubblewrap and the unsafe sandbox.
/// </summary>
internal static class CappedProcess
{
    public static async Task<SandboxResult> RunAsync(
        ProcessStartInfo startInfo, SandboxLimits limits, CancellationToken cancellationToken, string? standardInput = null)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        startInfo.UseShellExecute = false;
        startInfo.StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        await ProcessLauncher.StartAsync(process).ConfigureAwait(false);
        // The input (a harness's secret, if any), then EOF: a program waiting for more input gets EOF at once.
        if (standardInput is not null)
        {
            try { await process.StandardInput.WriteAsync(standardInput).ConfigureAwait(false); await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false); }
            catch (IOException) { } // it exited without reading
        }
        try { process.StandardInput.Close(); } catch (IOException) { }

        using var kill = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        kill.CancelAfter(limits.WallClock);
        var overflow = new OverflowFlag();

        var stdoutTask = ReadCappedAsync(process.StandardOutput.BaseStream, limits.MaxOutputBytes, overflow, kill);
        var stderrTask = ReadCappedAsync(process.StandardError.BaseStream, limits.MaxOutputBytes, overflow, kill);

        bool killed = false;
        try
        {
            await process.WaitForExitAsync(kill.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            killed = true;
            KillTree(process);
            // The tree is gone or going; give the kernel a moment, never wait forever.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(grace.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }

        // Pipes close when the last writer dies; bounded in case a grandchild escaped the tree and holds them.
        using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        string stdout = await AwaitOrEmpty(stdoutTask, drain.Token).ConfigureAwait(false);
        string stderr = await AwaitOrEmpty(stderrTask, drain.Token).ConfigureAwait(false);
        stopwatch.Stop();

        bool cancelled = killed && cancellationToken.IsCancellationRequested;
        return new SandboxResult
        {
            ExitCode = process.HasExited ? process.ExitCode : -1,
            Stdout = stdout,
            Stderr = stderr,
            Duration = stopwatch.Elapsed,
            OutputLimitExceeded = killed && overflow.Value,
            Cancelled = cancelled && !overflow.Value,
            TimedOut = killed && !overflow.Value && !cancelled,
        };
    }

    private static void KillTree(Process process)
    {
        try { ProcessReaper.KillChildrenThenSelf(process.Id); }
        catch (InvalidOperationException) { } // never started
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
        catch (System.ComponentModel.Win32Exception) { }
    }

    private static async Task<string> AwaitOrEmpty(Task<string> task, CancellationToken token)
    {
        try { return await task.WaitAsync(token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return "[output not drained]"; }
    }

    private sealed class OverflowFlag { public volatile bool Value; }

    private static async Task<string> ReadCappedAsync(
        Stream stream, int cap, OverflowFlag overflow, CancellationTokenSource kill)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16 * 1024];
        long total = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer).ConfigureAwait(false);
            if (read == 0) break;
            int room = (int)Math.Max(0, cap - kept.Length);
            kept.Write(buffer, 0, Math.Min(room, read));
            total += read;
            if (total > cap && !overflow.Value)
            {
                // Over the cap: stop the producer now rather than read 100 MB we would throw away.
                overflow.Value = true;
                kill.Cancel();
            }
            if (overflow.Value) break;
        }
        string text = Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
        return total > cap ? text + $"\n[output truncated: more than {cap} bytes]" : text;
    }
}
