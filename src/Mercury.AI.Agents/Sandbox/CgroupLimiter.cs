using System.Globalization;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Memory and task limits for a whole sandbox run — every process it forks together — through a cgroup of its own.
/// RLIMIT_AS and RLIMIT_NPROC are per process (or per uid), so a run with six children can hold six times the memory;
/// a cgroup's memory.max cannot be split that way, and it also counts the run's tmpfs pages (/tmp, /dev/shm, /work).
/// <para>cgroup v2 is used where the host can create a group with the memory controller (as root on a systemd host:
/// /sys/fs/cgroup/mercury-sandbox); otherwise cgroup v1's memory and pids hierarchies, where writable. When neither
/// is, <see cref="IsEnforced"/> is false and <see cref="Description"/> says so: the per-process limits are all that
/// applies. Groups left by a host that was killed are removed at start-up.</para>
/// </summary>
internal sealed class CgroupLimiter
{
    internal const string GroupName = "mercury-sandbox";

    private readonly int _version;
    private readonly string? _memoryParent; // v2: the one parent; v1: the memory hierarchy's parent
    private readonly string? _pidsParent;   // v1 only

    private CgroupLimiter(int version, string? memoryParent, string? pidsParent, string description)
    {
        _version = version;
        _memoryParent = memoryParent;
        _pidsParent = pidsParent;
        Description = description;
    }

    public bool IsEnforced => _version != 0;

    /// <summary>What is enforced per run, in words, for the start-up log.</summary>
    public string Description { get; }

    public static CgroupLimiter Disabled(string reason) =>
        new(0, null, null, $"NO per-run memory limit ({reason}); only the per-process limits (RLIMIT_AS, RLIMIT_NPROC) apply");

    private static readonly Lazy<CgroupLimiter> Detected = new(DetectNow);

    /// <summary>Finds a hierarchy this process may create groups in, once per process. Never throws.</summary>
    public static CgroupLimiter Detect() => Detected.Value;

    private static CgroupLimiter DetectNow()
    {
        var reasons = new List<string>();
        try
        {
            var mounts = CgroupMounts.Read();
            if (mounts.V2 is { } v2)
            {
                if (TryPrepareV2(v2, out string parent, out string why))
                    return new(2, parent, null, $"memory.max, memory.swap.max=0 and pids.max per run (cgroup v2, {parent})");
                reasons.Add("cgroup v2: " + why);
            }
            if (mounts.V1Memory is { } memory)
            {
                if (TryPrepareV1(memory, "memory.limit_in_bytes", out string parent, out string why))
                {
                    string? pids = mounts.V1Pids is { } p && TryPrepareV1(p, "pids.max", out string pp, out _) ? pp : null;
                    return new(1, parent, pids, $"memory limit{(pids is null ? "" : " and pids.max")} per run (cgroup v1, {parent})");
                }
                reasons.Add("cgroup v1: " + why);
            }
            if (reasons.Count == 0) reasons.Add("no cgroup hierarchy with a memory controller is mounted");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            reasons.Add(e.Message);
        }
        return Disabled(string.Join("; ", reasons));
    }

    /// <summary>A fresh group for one run with the given limits; null when limits are not enforced here.</summary>
    public RunCgroup? Create(long? memoryBytes, int? maxTasks)
    {
        if (!IsEnforced || memoryBytes is null && maxTasks is null) return null;
        string name = $"run-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}";
        var dirs = new List<string>();
        try
        {
            string memory = Path.Combine(_memoryParent!, name);
            Directory.CreateDirectory(memory);
            dirs.Add(memory);
            var c = CultureInfo.InvariantCulture;
            if (_version == 2)
            {
                if (memoryBytes is { } m)
                {
                    Write(memory, "memory.max", m.ToString(c));
                    TryWrite(memory, "memory.swap.max", "0"); // absent when the kernel has no swap accounting
                }
                if (maxTasks is { } t) TryWrite(memory, "pids.max", t.ToString(c));
            }
            else
            {
                if (memoryBytes is { } m)
                {
                    Write(memory, "memory.limit_in_bytes", m.ToString(c));
                    TryWrite(memory, "memory.memsw.limit_in_bytes", m.ToString(c));
                }
                if (_pidsParent is not null && maxTasks is { } t)
                {
                    string pids = Path.Combine(_pidsParent, name);
                    Directory.CreateDirectory(pids);
                    dirs.Add(pids);
                    Write(pids, "pids.max", t.ToString(c));
                }
            }
            return new RunCgroup(_version, dirs, memoryBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in dirs) RunCgroup.TryRemove(dir);
            throw new InvalidOperationException($"Could not create the run's cgroup under {_memoryParent}: {e.Message}", e);
        }
    }

    private static bool TryPrepareV2(string mount, out string parent, out string why)
    {
        parent = Path.Combine(mount, GroupName);
        why = "";
        try
        {
            var available = Read(mount, "cgroup.controllers").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!available.Contains("memory")) { why = "the memory controller is not available at " + mount; return false; }
            string wanted = available.Contains("pids") ? "+memory +pids" : "+memory";
            // The root may hand controllers down; a non-root group may only if it holds no processes (cgroup v2's
            // "no internal processes" rule), which is why the group sits at the top of the hierarchy.
            if (!Read(mount, "cgroup.subtree_control").Contains("memory", StringComparison.Ordinal)) Write(mount, "cgroup.subtree_control", wanted);
            Directory.CreateDirectory(parent);
            if (!Read(parent, "cgroup.subtree_control").Contains("memory", StringComparison.Ordinal)) Write(parent, "cgroup.subtree_control", wanted);
            SweepStale(parent);
            return Probe(parent, "memory.max", out why);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return false;
        }
    }

    private static bool TryPrepareV1(string hierarchy, string controlFile, out string parent, out string why)
    {
        parent = Path.Combine(hierarchy, GroupName);
        why = "";
        try
        {
            Directory.CreateDirectory(parent);
            SweepStale(parent);
            return Probe(parent, controlFile, out why);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return false;
        }
    }

    /// <summary>Creates and removes a child group, to be sure runs can have one.</summary>
    private static bool Probe(string parent, string controlFile, out string why)
    {
        string probe = Path.Combine(parent, $"probe-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(probe);
        try
        {
            why = File.Exists(Path.Combine(probe, controlFile)) ? "" : $"{controlFile} is missing in a new group";
            return why.Length == 0;
        }
        finally
        {
            RunCgroup.TryRemove(probe);
        }
    }

    /// <summary>
    /// Groups of runs whose host process is gone (the name carries the host's pid). A live host's group may be empty for
    /// a moment — created, its launcher not yet inside — so only dead hosts' groups go; rmdir spares any with processes.
    /// </summary>
    private static void SweepStale(string parent)
    {
        foreach (var dir in Directory.EnumerateDirectories(parent))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length == 3 && parts[0] is "run" or "probe" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                RunCgroup.TryRemove(dir);
        }
    }

    internal static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    internal static void Write(string dir, string file, string value) => File.WriteAllText(Path.Combine(dir, file), value);

    internal static void TryWrite(string dir, string file, string value)
    {
        if (!File.Exists(Path.Combine(dir, file))) return;
        try { Write(dir, file, value); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
