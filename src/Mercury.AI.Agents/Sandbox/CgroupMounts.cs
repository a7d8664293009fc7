namespace Mercury.AI.Agents.Sandbox;

/// <summary>Where this process's cgroups are, read from /proc/self/mountinfo and /proc/self/cgroup.</summary>
internal sealed record CgroupMounts(string? V2, string? V1Memory, string? V1Pids)
{
    public static CgroupMounts Read()
    {
        var own = File.ReadAllLines("/proc/self/cgroup")
            .Select(l => l.Split(':', 3)).Where(p => p.Length == 3).ToList();
        string? v2 = null, memory = null, pids = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            var parts = line.Split(' ');
            int dash = Array.IndexOf(parts, "-");
            if (dash < 0 || dash + 3 >= parts.Length) continue;
            string root = Unescape(parts[3]), mountPoint = Unescape(parts[4]), type = parts[dash + 1];
            var super = parts[dash + 3].Split(',');
            if (type == "cgroup2" && v2 is null)
                v2 = mountPoint; // groups are made at the top of the hierarchy (see CgroupLimiter)
            else if (type == "cgroup" && super.Contains("memory") && memory is null)
                memory = Locate(mountPoint, root, own.FirstOrDefault(p => p[1].Split(',').Contains("memory"))?[2]);
            else if (type == "cgroup" && super.Contains("pids") && pids is null)
                pids = Locate(mountPoint, root, own.FirstOrDefault(p => p[1].Split(',').Contains("pids"))?[2]);
        }
        return new CgroupMounts(v2, memory, pids);
    }

    /// <summary>v1: this process's group inside the hierarchy mounted at <paramref name="mountPoint"/>.</summary>
    private static string? Locate(string mountPoint, string mountRoot, string? ownPath)
    {
        if (ownPath is null) return null;
        string relative = mountRoot != "/" && ownPath.StartsWith(mountRoot, StringComparison.Ordinal) ? ownPath[mountRoot.Length..] : ownPath;
        string dir = Path.Combine(mountPoint, relative.TrimStart('/'));
        return Directory.Exists(dir) ? dir : mountPoint;
    }

    // mountinfo escapes space, tab, newline and backslash as octal (\040 ...).
    private static string Unescape(string s) => !s.Contains('\\') ? s
        : System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
