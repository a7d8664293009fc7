using System.Globalization;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// The bwrap options of a run (passed through <c>--args FD</c>, so that the sandbox's PID 1 — bwrap itself — shows
/// no host path in /proc/1/cmdline) and the command line inside (setpriv when the host is root, then prlimit).
/// </summary>
internal static class BubblewrapArguments
{
    // Files under /etc that interpreters read; everything else under /etc stays invisible.
    internal static readonly string[] EtcAllowList =
        ["passwd", "group", "nsswitch.conf", "hosts", "localtime", "ld.so.cache", "alternatives", "ssl", "fonts", "mime.types"];

    /// <summary>bwrap's options: namespaces, mounts, environment; a user namespace when the host is not root.</summary>
    public static List<string> Options(SandboxRequest request, bool isRoot)
    {
        var limits = request.Limits;
        var c = CultureInfo.InvariantCulture;
        var a = new List<string>
        {
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr",
        };
        foreach (var link in new[] { "bin", "sbin", "lib", "lib64", "lib32" })
        {
            string host = "/" + link;
            if (IsSymlink(host)) a.AddRange(["--symlink", "usr/" + link, host]);
            else if (Directory.Exists(host)) a.AddRange(["--ro-bind", host, host]);
        }
        // bwrap would create /etc 0700, unreadable to the sandbox uid (and the .NET SDK then hangs in restore).
        a.AddRange(["--perms", "0755", "--tmpfs", "/etc"]);
        foreach (var name in EtcAllowList)
        {
            string host = "/etc/" + name;
            if (File.Exists(host) || Directory.Exists(host)) a.AddRange(["--ro-bind", host, host]);
        }
        a.AddRange(["--remount-ro", "/etc"]); // in a user namespace (host not root) the sandbox would own this tmpfs folder
        a.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        // Every writable place is a tmpfs of bounded size: nothing the code writes reaches the host's disk, and the
        // pages count against the run's memory cgroup where there is one.
        a.AddRange(["--perms", "1777", "--size", limits.TmpBytes.ToString(c), "--tmpfs", "/tmp"]);
        a.AddRange(["--perms", "1777", "--size", limits.ShmBytes.ToString(c), "--tmpfs", "/dev/shm"]);
        a.AddRange(["--perms", "1777", "--size", limits.WorkspaceBytes.ToString(c), "--tmpfs", SandboxPaths.Workspace]);
        string workspace = Path.GetFullPath(request.Workspace);
        if (Directory.Exists(workspace))
            foreach (var entry in Directory.EnumerateFileSystemEntries(workspace).Order(StringComparer.Ordinal))
                a.AddRange(["--ro-bind", entry, $"{SandboxPaths.Workspace}/{Path.GetFileName(entry)}"]);
        if (request.Inputs is not null) a.AddRange(["--ro-bind", Path.GetFullPath(request.Inputs), SandboxPaths.Inputs]);
        foreach (var shared in request.SharedFolders) BindAtOwnPath(a, "--bind", shared);
        foreach (var readOnly in request.ReadOnlyFolders) BindAtOwnPath(a, "--ro-bind", readOnly);
        // The sandbox's own root folder is read-only too (in a user namespace it would be the sandbox's to write).
        a.AddRange(["--remount-ro", "/", "--chdir", SandboxPaths.Workspace, "--clearenv"]);

        var env = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = SandboxPaths.Workspace,
            ["TMPDIR"] = "/tmp",
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (k, v) in request.Environment) env[k] = v;
        foreach (var (k, v) in env) a.AddRange(["--setenv", k, v]);
        if (!isRoot) a.AddRange(["--unshare-user", "--cap-drop", "ALL"]);
        return a;
    }

    private static void BindAtOwnPath(List<string> a, string bind, string folder)
    {
        // bwrap makes missing parents of a mount point 0700 (root's), which the sandbox uid could not traverse.
        string full = Path.GetFullPath(folder);
        var parents = new List<string>();
        for (string? parent = Path.GetDirectoryName(full); parent is not null && parent != "/"; parent = Path.GetDirectoryName(parent)) parents.Add(parent);
        parents.Reverse();
        foreach (var parent in parents) a.AddRange(["--perms", "0755", "--dir", parent]);
        a.AddRange([bind, full, full]);
    }

    /// <summary>What bwrap runs: as root (<paramref name="uid"/> ≥ 0), setpriv to the run's uid with no capabilities;
    /// then prlimit; then the command.</summary>
    public static List<string> Command(SandboxRequest request, int uid)
    {
        var a = new List<string>();
        if (uid >= 0)
            a.AddRange(["/usr/bin/setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]);
        a.Add("/usr/bin/prlimit");
        a.AddRange(Prlimit(request.Limits));
        a.Add("--");
        a.AddRange(request.Command);
        return a;
    }

    internal static IEnumerable<string> Prlimit(SandboxLimits limits)
    {
        var c = CultureInfo.InvariantCulture;
        if (limits.CpuSeconds is { } cpu) yield return "--cpu=" + cpu.ToString(c);
        if (limits.AddressSpaceBytes is { } asBytes) yield return "--as=" + asBytes.ToString(c);
        if (limits.MaxProcesses is { } nproc) yield return "--nproc=" + nproc.ToString(c);
        if (limits.MaxFileSizeBytes is { } fsize) yield return "--fsize=" + fsize.ToString(c);
        if (limits.MaxOpenFiles is { } nofile) yield return "--nofile=" + nofile.ToString(c);
        yield return "--core=0";
    }

    private static bool IsSymlink(string path)
    {
        try { return new FileInfo(path).LinkTarget is not null; } catch (IOException) { return false; }
    }
}
