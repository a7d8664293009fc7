using System.Diagnostics;

namespace Mercury.AI.Agents.Worker;

/// <summary>
/// Scratch folders of the jobs a host runs: work/host-&lt;id&gt;/&lt;job&gt;-&lt;claim&gt;, the host folder locked (flock on its
/// .lock file) for as long as the host lives. A host that was killed leaves its folder unlocked; the next host to
/// start removes it. Deletion copes with what .NET's recursive delete does not: trees deeper than PATH_MAX, names
/// that are not UTF-8, folders without write permission.
/// </summary>
public sealed class WorkFolders : IDisposable
{
    private readonly FileStream _lock;

    private WorkFolders(string root, FileStream hostLock)
    {
        Root = root;
        _lock = hostLock;
    }

    /// <summary>This host's folder, under <paramref name="workDirectory"/>.</summary>
    public string Root { get; }

    /// <summary>Creates and locks a folder for this host.</summary>
    public static WorkFolders Claim(string workDirectory)
    {
        string root = Path.Combine(workDirectory, "host-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        // FileShare.None takes an exclusive flock on Unix, released by the kernel when the process dies.
        var hostLock = new FileStream(Path.Combine(root, ".lock"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        return new WorkFolders(root, hostLock);
    }

    public string ForJob(string jobId, int claim) => Path.Combine(Root, $"{jobId}-{claim}");

    /// <summary>Removes the folders of hosts that are gone (their lock is free), and folders of the layout before hosts had
    /// their own. Returns how many it removed.</summary>
    public static int SweepStale(string workDirectory)
    {
        if (!Directory.Exists(workDirectory)) return 0;
        int removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(workDirectory))
        {
            string name = Path.GetFileName(dir);
            if (name.StartsWith("host-", StringComparison.Ordinal))
            {
                try
                {
                    using (new FileStream(Path.Combine(dir, ".lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                }
                catch (FileNotFoundException) when (DateTime.UtcNow - Directory.GetCreationTimeUtc(dir) > TimeSpan.FromMinutes(1)) { } // no lock file: a dead host's too
                catch (FileNotFoundException) { continue; } // or a host that is creating it right now
                catch (IOException) { continue; } // held: a live host's
                catch (UnauthorizedAccessException) { continue; }
            }
            else if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) < TimeSpan.FromDays(1))
            {
                continue; // an older host version's job folder, perhaps in use
            }
            if (Delete(dir)) removed++;
        }
        return removed;
    }

    /// <summary>Deletes a folder tree whatever it holds; false if something is left.</summary>
    public static bool Delete(string path)
    {
        if (!Directory.Exists(path) && !File.Exists(path)) return true;
        try
        {
            Directory.Delete(path, recursive: true);
            return true;
        }
        // IOException, UnauthorizedAccessException, PathTooLongException, and ArgumentException for names that are not UTF-8.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
        // rm works with openat/unlinkat: no path length limit, any bytes in names; chmod first for read-only folders.
        Run("/bin/chmod", "-R", "u+rwx", "--", path);
        Run("/bin/rm", "-rf", "--one-file-system", "--", path);
        return !Directory.Exists(path) && !File.Exists(path);
    }

    private static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(psi)!;
            // Both pipes drain at once: chmod -R over a large tree can write more errors than a pipe holds, and a
            // sequential read would then wait forever (and the time limit below would never be reached).
            var drained = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            if (!process.WaitForExit(TimeSpan.FromMinutes(2))) process.Kill(entireProcessTree: true);
            drained.Wait(TimeSpan.FromSeconds(5));
        }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose()
    {
        _lock.Dispose();
        Delete(Root);
    }
}
