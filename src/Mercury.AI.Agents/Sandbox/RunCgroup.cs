using System.Globalization;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// The cgroup(s) of one run. The launcher moves itself in (writes 0 to each <see cref="ProcsFiles"/>) before it execs
/// bwrap, so every process of the run is born inside. Disposing kills whatever is left and removes the groups.
/// </summary>
internal sealed class RunCgroup(int version, IReadOnlyList<string> directories, long? memoryBytes) : IDisposable
{
    private const int SIGKILL = 9;

    /// <summary>cgroup.procs of each group of the run (v2: one; v1: memory and pids).</summary>
    public IReadOnlyList<string> ProcsFiles { get; } = directories.Select(d => Path.Combine(d, "cgroup.procs")).ToList();

    public long? MemoryBytes { get; } = memoryBytes;

    /// <summary>True when the kernel's OOM killer killed a process of the run (it hit its memory limit).</summary>
    public bool OutOfMemoryKilled
    {
        get
        {
            string file = version == 2 ? "memory.events" : "memory.oom_control";
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(directories[0], file)))
                    if (line.StartsWith("oom_kill ", StringComparison.Ordinal)
                        && long.TryParse(line.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return n > 0;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return false;
        }
    }

    /// <summary>The most memory the run held at once (memory.peak, v2 on Linux 5.19+; memory.max_usage_in_bytes, v1).</summary>
    public long? PeakBytes
    {
        get
        {
            try
            {
                string file = Path.Combine(directories[0], version == 2 ? "memory.peak" : "memory.max_usage_in_bytes");
                return File.Exists(file) && long.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }
    }

    public void Dispose()
    {
        // cgroup.kill (v2, Linux 5.14+) kills the whole group at once, forks in flight included; else kill by pid until empty.
        string kill = Path.Combine(directories[0], "cgroup.kill");
        if (version == 2 && File.Exists(kill))
        {
            try { File.WriteAllText(kill, "1"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        for (int round = 0; round < 50; round++)
        {
            var pids = ProcsFiles.SelectMany(Pids).Distinct().ToList();
            if (pids.Count == 0) break;
            foreach (int pid in pids) _ = Posix.Kill(pid, SIGKILL);
            Thread.Sleep(10);
        }
        foreach (var dir in directories) TryRemove(dir);
    }

    private static IEnumerable<int> Pids(string procsFile)
    {
        string text;
        try { text = File.ReadAllText(procsFile); } catch (IOException) { return []; } catch (UnauthorizedAccessException) { return []; }
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0).Where(p => p > 0).ToList();
    }

    /// <summary>rmdir of a group (its control files go with it); a group that still has processes stays.</summary>
    internal static void TryRemove(string dir)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            try { Directory.Delete(dir, recursive: false); return; }
            catch (DirectoryNotFoundException) { return; }
            catch (IOException) { Thread.Sleep(10); } // EBUSY while the last process is being reaped
            catch (UnauthorizedAccessException) { return; }
        }
    }
}
