using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mercury.AI.Agents.Sandbox;

/// <summary>
/// Isolation with bubblewrap (https://github.com/containers/bubblewrap): no network, read-only /usr and a small
/// allow-list of /etc, size-capped tmpfs for /tmp, /dev/shm and the workspace, its own PID namespace (killing bwrap
/// kills everything inside), a seccomp filter, and the process dies with its parent. Per-process limits come from
/// prlimit; limits for the whole run (memory, tasks) from a cgroup where the host can create one
/// (<see cref="CgroupLimiter"/>). When the host is root the code runs as an unprivileged uid with no capabilities
/// (root is exempt from RLIMIT_NPROC); otherwise in a user namespace.
/// </summary>
public sealed class BubblewrapSandbox : ISandbox
{
    // Closes every file descriptor above the ones the program is meant to have (the host's own, inherited because
    // they lack close-on-exec, must not reach the sandbox), joins the run's cgroups (writing 0 moves the writer), then
    // becomes bwrap, which reads its options from fd 8 and the seccomp program from fd 9 and closes both before it
    // starts the command. bash, not sh: sh cannot name a descriptor above 9.
    private const string LauncherScript = """
        keep=$1 bwrap=$2 args=$3 filter=$4; shift 4
        for fd in /proc/$$/fd/*; do
          fd=${fd##*/}
          if [ "$fd" -gt "$keep" ] && [ -L "/proc/$$/fd/$fd" ]; then eval "exec $fd>&-"; fi
        done
        while [ "$1" != "--" ]; do echo 0 > "$1" || exit 125; shift; done
        shift
        if [ -n "$filter" ]; then exec "$bwrap" --args 8 --seccomp 9 -- "$@" 8<"$args" 9<"$filter"; fi
        exec "$bwrap" --args 8 -- "$@" 8<"$args"
        """;

    // A launched browser talks to Playwright over fds 3 and 4 (--remote-debugging-pipe).
    private const int KeepForRun = 2, KeepForLauncher = 4;

    private readonly string _bwrap;
    private readonly bool _isRoot;
    private readonly SandboxUids? _uids;
    private readonly string _runs;
    private readonly string? _seccomp;
    private readonly CgroupLimiter _cgroups;

    public BubblewrapSandbox(string bubblewrapPath, SandboxOptions options)
    {
        _bwrap = bubblewrapPath;
        _isRoot = Posix.IsRoot;
        string state = StateFolder(options);
        _runs = PrivateFolder.EnsureChild(state, "runs");
        SweepOldFiles(_runs, TimeSpan.FromHours(1));
        if (_isRoot) _uids = new SandboxUids(options.FirstUid, Math.Max(1, options.UidCount), PrivateFolder.EnsureChild(state, "uids"));
        _seccomp = WriteSeccompProgram(state);
        _cgroups = options.UseCgroups ? CgroupLimiter.Detect() : CgroupLimiter.Disabled("turned off by Agents:Sandbox:UseCgroups=false");
    }

    public bool IsIsolated => true;

    /// <summary>True when each run's memory and task count are limited as a whole (a cgroup per run).</summary>
    public bool EnforcesRunMemoryLimit => _cgroups.IsEnforced;

    public string Description =>
        $"bubblewrap ({_bwrap}): no network, read-only system, size-capped private /tmp, /dev/shm and /work, own PID namespace, "
        + (_isRoot ? "unprivileged uid" : "user namespace") + ", "
        + (_seccomp is null ? "NO seccomp filter (no syscall table for this architecture)" : SeccompFilter.Summary)
        + "; " + _cgroups.Description;

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
        using var run = Prepare(request, KeepForRun);
        var psi = new ProcessStartInfo("/bin/bash");
        foreach (var arg in run.LauncherArguments) psi.ArgumentList.Add(arg);
        psi.Environment.Clear();
        var result = await CappedProcess.RunAsync(psi, request.Limits, cancellationToken, request.StandardInput).ConfigureAwait(false);
        return run.Cgroup is { } cgroup ? result with { OutOfMemory = cgroup.OutOfMemoryKilled, PeakMemoryBytes = cgroup.PeakBytes } : result;
    }

    public SandboxLauncher CreateLauncher(SandboxRequest request, string scriptPath)
    {
        var run = Prepare(request, KeepForLauncher);
        try
        {
            string body = "#!/bin/sh\nexec /bin/bash " + string.Join(" ", run.LauncherArguments.Select(ShellQuote)) + " \"$@\"\n";
            File.WriteAllText(scriptPath, body);
            _ = Posix.Chmod(scriptPath, Posix.OwnerExecutable);
            return new SandboxLauncher(scriptPath, run);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    private PreparedRun Prepare(SandboxRequest request, int keepDescriptors)
    {
        var lease = _uids?.Acquire();
        RunCgroup? cgroup = null;
        try
        {
            cgroup = _cgroups.Create(request.Limits.MemoryBytes, request.Limits.MaxProcesses);
            if (lease is not null)
                foreach (var shared in request.SharedFolders) ChownTree(shared, lease.Uid);
            string argsFile = Path.Combine(_runs, Guid.NewGuid().ToString("N") + ".args");
            var options = BubblewrapArguments.Options(request, _isRoot);
            File.WriteAllText(argsFile, string.Concat(options.Select(o => o + "\0")), new UTF8Encoding(false));
            var launcher = new List<string> { "-c", LauncherScript, "mercury-sandbox", keepDescriptors.ToString(CultureInfo.InvariantCulture), _bwrap, argsFile, _seccomp ?? "" };
            launcher.AddRange(cgroup?.ProcsFiles ?? []);
            launcher.Add("--");
            launcher.AddRange(BubblewrapArguments.Command(request, lease?.Uid ?? -1));
            return new PreparedRun(launcher, argsFile, cgroup, lease);
        }
        catch
        {
            cgroup?.Dispose();
            lease?.Dispose();
            throw;
        }
    }

    /// <summary>What a run holds until it is over: its uid, its cgroup and its argument file.</summary>
    internal sealed class PreparedRun(IReadOnlyList<string> launcherArguments, string argsFile, RunCgroup? cgroup, SandboxUids.Lease? lease) : IDisposable
    {
        public IReadOnlyList<string> LauncherArguments { get; } = launcherArguments;

        public RunCgroup? Cgroup { get; } = cgroup;

        public void Dispose()
        {
            // Nothing of this run survives it, and the uid is clean (RLIMIT_NPROC counts its processes) when it is reused.
            Cgroup?.Dispose();
            if (lease is not null) ProcessReaper.KillAllOfUid(lease.Uid);
            try { File.Delete(argsFile); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            lease?.Dispose();
        }
    }

    private static string StateFolder(SandboxOptions options)
    {
        if (options.StateDirectory is not null || Posix.IsRoot) return PrivateFolder.Ensure(options.StateDirectory ?? PrivateFolder.DefaultPath);
        // Not root: the per-user name under /tmp may have been taken by another user; then a fresh private folder will do
        // (uid locks, the one thing that must be shared between host processes, are used only as root).
        try { return PrivateFolder.Ensure(PrivateFolder.DefaultPath); }
        catch (InvalidOperationException) { return Directory.CreateTempSubdirectory("mercury-sandbox-").FullName; }
    }

    private static string? WriteSeccompProgram(string state)
    {
        if (SeccompFilter.ForCurrentArchitecture() is not { } program) return null;
        string path = Path.Combine(state, $"seccomp-{Convert.ToHexString(SHA256.HashData(program))[..16].ToLowerInvariant()}.bpf");
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(program)) return path;
        string temp = path + "." + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, program);
        File.Move(temp, path, overwrite: true); // atomic: a concurrent reader sees the old file or the new one
        return path;
    }

    private static void SweepOldFiles(string folder, TimeSpan age)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > age)
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void ChownTree(string root, int uid)
    {
        Directory.CreateDirectory(root);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Prepend(root))
            _ = Posix.Chown(path, uid, uid);
    }

    internal static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>A sandboxed program that another component starts (Playwright starts the browser): run <see cref="Path"/>
/// with any arguments. Disposing kills what is left of it and frees its uid and cgroup.</summary>
public sealed class SandboxLauncher(string path, IDisposable run) : IDisposable
{
    public string Path { get; } = path;

    public void Dispose() => run.Dispose();
}
