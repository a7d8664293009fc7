using System.Globalization;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Kills what a sandbox leaves behind. Killing bwrap alone is not enough: its inner process (PID 1 of the sandbox's
/// PID namespace) can outlive it, and a fork bomb outruns a walk of the process tree. Killing the namespace's PID 1
/// makes the kernel kill every process in the namespace; sweeping the sandbox uid catches anything else.
/// </summary>
internal static class ProcessReaper
{
    private const int SIGKILL = 9;

    /// <summary>SIGKILL the direct children of <paramref name="pid"/> (bwrap's inner PID 1), then <paramref name="pid"/>.</summary>
    public static void KillChildrenThenSelf(int pid)
    {
        foreach (int child in ChildrenOf(pid)) _ = Posix.Kill(child, SIGKILL);
        _ = Posix.Kill(pid, SIGKILL);
    }

    /// <summary>SIGKILL every process whose real uid is <paramref name="uid"/>, until none is left (bounded).</summary>
    public static int KillAllOfUid(int uid)
    {
        int killed = 0;
        for (int round = 0; round < 20; round++)
        {
            var pids = ProcessesOfUid(uid).ToList();
            if (pids.Count == 0) break;
            foreach (int pid in pids) if (Posix.Kill(pid, SIGKILL) == 0) killed++;
            Thread.Sleep(10);
        }
        return killed;
    }

    public static IEnumerable<int> ChildrenOf(int pid)
    {
        string path = $"/proc/{pid}/task/{pid}/children";
        string text;
        try { text = File.ReadAllText(path); } catch (IOException) { yield break; } catch (UnauthorizedAccessException) { yield break; }
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int child)) yield return child;
    }

    public static IEnumerable<int> ProcessesOfUid(int uid)
    {
        string wanted = uid.ToString(CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            string? uidLine = null;
            try { uidLine = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)); }
            catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (uidLine is null) continue;
            var fields = uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1 && fields[1] == wanted) yield return pid;
        }
    }
}
