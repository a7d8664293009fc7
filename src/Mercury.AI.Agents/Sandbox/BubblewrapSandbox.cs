using System.Diagnostics;
using System.Globalization;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Isolation with bubblewrap (https://github.com/containers/bubblewrap): no network, read-only /usr and a small
/// allow-list of /etc, a private /tmp, the workspace as the only writable host folder, its own PID namespace
/// (killing bwrap kills everything inside), and the process dies with its parent. Limits come from prlimit.
/// When the host is root the code runs as an unprivileged uid with no capabilities: root is exempt from RLIMIT_NPROC.
/// </summary>
public sealed class BubblewrapSandbox : ISandbox
{
    // Files under /etc that interpreters read; everything else under /etc stays invisible.
    private static readonly string[] EtcAllowList =
        ["passwd", "group", "nsswitch.conf", "hosts", "localtime", "ld.so.cache", "alternatives", "ssl", "fonts", "mime.types"];

    private readonly string _bwrap;
    private readonly SandboxOptions _options;
    private readonly bool _isRoot;
    private readonly SandboxUids _uids;

    public BubblewrapSandbox(string bubblewrapPath, SandboxOptions options)
    {
        _bwrap = bubblewrapPath;
        _options = options;
        _isRoot = Environment.UserName == "root" || geteuid() == 0;
        _uids = new SandboxUids(options.FirstUid, Math.Max(1, options.UidCount));
    }

    public bool IsIsolated => true;

    public string Description => $"bubblewrap ({_bwrap}): no network, read-only system, private workspace, own PID namespace"
        + (_isRoot ? ", unprivileged uid" : ", user namespace");

    /// <summary>Finds bwrap; null when it is not installed.</summary>
    public static string? Locate(string? configuredPath = null)
    {
        if (configuredPath is not null) return File.Exists(configuredPath) ? configuredPath : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin"))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, "bwrap");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public async Task<SandboxResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        using var lease = _isRoot ? _uids.Acquire() : null;
        int uid = lease?.Uid ?? -1;
        var psi = new ProcessStartInfo(_bwrap);
        foreach (var arg in BuildArguments(request, uid)) psi.ArgumentList.Add(arg);
        psi.Environment.Clear();
        try
        {
            return await CappedProcess.RunAsync(psi, request.Limits, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Nothing of this run survives it, and the uid is clean (RLIMIT_NPROC counts its processes) when it is reused.
            if (_isRoot) ProcessReaper.KillAllOfUid(uid);
        }
    }

    internal IReadOnlyList<string> BuildArguments(SandboxRequest request, int uid)
    {
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
        a.AddRange(["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/dev/shm"]);

        PrepareWorkspace(request.Workspace, uid);
        a.AddRange(["--bind", Path.GetFullPath(request.Workspace), SandboxPaths.Workspace]);
        if (request.Inputs is not null) a.AddRange(["--ro-bind", Path.GetFullPath(request.Inputs), SandboxPaths.Inputs]);
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

        if (_isRoot)
        {
            a.Add("--");
            a.AddRange(["/usr/bin/setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]);
        }
        else
        {
            a.AddRange(["--unshare-user", "--cap-drop", "ALL", "--"]);
        }

        a.Add("/usr/bin/prlimit");
        a.AddRange(PrlimitArguments(request.Limits));
        a.Add("--");
        a.AddRange(request.Command);
        return a;
    }

    internal static IEnumerable<string> PrlimitArguments(SandboxLimits limits)
    {
        var c = CultureInfo.InvariantCulture;
        if (limits.CpuSeconds is { } cpu) yield return "--cpu=" + cpu.ToString(c);
        if (limits.AddressSpaceBytes is { } asBytes) yield return "--as=" + asBytes.ToString(c);
        if (limits.MaxProcesses is { } nproc) yield return "--nproc=" + nproc.ToString(c);
        if (limits.MaxFileSizeBytes is { } fsize) yield return "--fsize=" + fsize.ToString(c);
        yield return "--core=0";
    }

    /// <summary>The sandbox uid must be able to write the workspace; nothing else on the host is writable to it.</summary>
    private void PrepareWorkspace(string workspace, int uid)
    {
        Directory.CreateDirectory(workspace);
        if (!_isRoot) return;
        foreach (var path in Directory.EnumerateFileSystemEntries(workspace, "*", SearchOption.AllDirectories).Prepend(workspace))
            _ = chown(path, uid, uid);
    }

    private static bool IsSymlink(string path)
    {
        try { return new FileInfo(path).LinkTarget is not null; } catch (IOException) { return false; }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chown([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int owner, int group);
}
