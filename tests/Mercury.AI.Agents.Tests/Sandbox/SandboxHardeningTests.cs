using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Sandbox;

/// <summary>Issue 14, items 5–7, 11 and 12: each test performs the attack and checks the harm is prevented.</summary>
public sealed class SandboxHardeningTests : IDisposable
{
    private readonly TempFolder _workspace = new("mercury-hardening");
    private readonly BubblewrapSandbox _sandbox = (BubblewrapSandbox)SandboxFactory.Create(new SandboxOptions());

    public void Dispose() => _workspace.Dispose();

    private Task<SandboxResult> Python(string code, SandboxLimits? limits = null)
    {
        File.WriteAllText(_workspace.Combine("probe.py"), code); // not main.py: the fork-bomb test looks for survivors by that name
        return _sandbox.RunAsync(new SandboxRequest(["/usr/bin/python3", "probe.py"], _workspace.Path)
        {
            Limits = limits ?? new SandboxLimits { WallClock = TimeSpan.FromSeconds(20), CpuSeconds = 10 },
        });
    }

    private static Dictionary<string, string> Lines(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());

    [Fact]
    public async Task Seccomp_denies_new_namespaces_ptrace_keyrings_bpf_and_mounts_and_ordinary_code_still_runs()
    {
        var result = await Python("""
            import ctypes, os, platform, subprocess, threading
            libc = ctypes.CDLL(None, use_errno=True)
            arm = platform.machine() in ("aarch64", "arm64")
            nr = dict(keyctl=219 if arm else 250, bpf=280 if arm else 321, setns=268 if arm else 308,
                      userfaultfd=282 if arm else 323, perf=241 if arm else 298, clone=220 if arm else 56)
            def check(name, call):
                ctypes.set_errno(0)
                r = call()
                print(name, r, ctypes.get_errno())
            check("unshare_user", lambda: libc.unshare(0x10000000))
            check("unshare_mount", lambda: libc.unshare(0x00020000))
            check("clone_newuser", lambda: libc.syscall(nr["clone"], 0x10000000 | 17, 0, 0, 0, 0))
            check("setns", lambda: libc.syscall(nr["setns"], 0, 0))
            check("ptrace", lambda: libc.ptrace(0, 0, None, None))
            check("keyctl", lambda: libc.syscall(nr["keyctl"], 0, -3, 0, 0, 0))
            check("bpf", lambda: libc.syscall(nr["bpf"], 0, None, 0))
            check("userfaultfd", lambda: libc.syscall(nr["userfaultfd"], 0))
            check("perf", lambda: libc.syscall(nr["perf"], None, 0, -1, -1, 0))
            check("mount", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
            check("clone3", lambda: libc.syscall(435, None, 0))
            check("io_uring", lambda: libc.syscall(425, 1, None))
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
            t = threading.Thread(target=lambda: None); t.start(); t.join(); print("thread ok")
            print("subprocess", subprocess.run(["/bin/echo", "hi"], capture_output=True).stdout.decode().strip())
            """);
        Assert.True(result.Succeeded, result.Describe() + result.Stdout + result.Stderr);
        var lines = Lines(result.Stdout);
        foreach (var call in new[] { "unshare_user", "unshare_mount", "clone_newuser", "setns", "ptrace", "keyctl", "bpf", "userfaultfd", "perf", "mount" })
            Assert.True(lines[call] == "-1 1", $"{call}: {lines[call]} (want -1 EPERM)\n{result.Stdout}");
        Assert.Equal("-1 38", lines["clone3"]);   // ENOSYS: glibc falls back to clone, whose flags the filter reads
        Assert.Equal("-1 38", lines["io_uring"]);
        Assert.Equal("7", lines["fork"]);
        Assert.Equal("ok", lines["thread"]);
        Assert.Equal("hi", lines["subprocess"]);
    }

    [Fact]
    public async Task The_sandbox_sees_no_host_path_in_its_pid_1_command_line_nor_any_extra_file_descriptor()
    {
        var result = await Python("""
            import os
            print("CMD", open("/proc/1/cmdline", "rb").read().replace(b"\0", b" ").decode())
            print("FDS", " ".join(sorted(os.listdir("/proc/self/fd"))))
            """);
        Assert.True(result.Succeeded, result.Stderr);
        var lines = Lines(result.Stdout);
        Assert.Contains("bwrap --args", lines["CMD"]);
        Assert.DoesNotContain(_workspace.Path, lines["CMD"]);
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), lines["CMD"]);
        Assert.Equal("0 1 2 3", lines["FDS"]); // stdin, stdout, stderr and the listing's own
    }

    [Fact]
    public async Task Tmp_shm_and_workspace_are_size_capped_tmpfs()
    {
        var result = await Python("""
            import errno
            for d in ["/tmp", "/dev/shm", "/work"]:
                n = 0
                try:
                    with open(d + "/fill", "wb") as f:
                        for _ in range(64):
                            f.write(b"x" * (1 << 20)); f.flush(); n += 1
                    print(d, "all", n)
                except OSError as e:
                    print(d, errno.errorcode[e.errno], n)
            """, new SandboxLimits { TmpBytes = 4 << 20, ShmBytes = 4 << 20, WorkspaceBytes = 4 << 20, MaxFileSizeBytes = 128 << 20 });
        var lines = Lines(result.Stdout);
        foreach (var dir in new[] { "/tmp", "/dev/shm", "/work" })
        {
            Assert.True(lines.ContainsKey(dir), result.Describe() + result.Stdout + result.Stderr);
            var parts = lines[dir].Split(' ');
            Assert.True(parts[0] == "ENOSPC" && int.Parse(parts[1]) <= 4, $"{dir}: {lines[dir]}");
        }
    }

    [Fact]
    public async Task Open_files_are_capped_per_process()
    {
        var result = await Python("""
            files = []
            try:
                while True:
                    files.append(open("/dev/null"))
            except OSError as e:
                print("opened", len(files), e.errno)
            """, new SandboxLimits { MaxOpenFiles = 32 });
        var parts = Lines(result.Stdout)["opened"].Split(' ');
        Assert.True(int.Parse(parts[0]) < 32, result.Stdout);
        Assert.Equal("24", parts[1]); // EMFILE
    }

    [Fact]
    public async Task Memory_is_limited_for_the_whole_run_not_per_process_where_cgroups_are_available()
    {
        const string forks = """
            import os, sys, time
            children = int(sys.argv[1]) if len(sys.argv) > 1 else CHILDREN
            kids = []
            for _ in range(children):
                pid = os.fork()
                if pid == 0:
                    block = bytearray(40 << 20)
                    for i in range(0, len(block), 4096):
                        block[i] = 1
                    time.sleep(2)
                    os._exit(0)
                kids.append(pid)
            codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in kids]
            print("codes", codes)
            sys.exit(0 if all(c == 0 for c in codes) else 1)
            """;
        // Each process stays far below its own RLIMIT_AS; only a limit on the run as a whole stops four of them.
        var limits = new SandboxLimits { WallClock = TimeSpan.FromSeconds(30), MemoryBytes = 96L << 20, AddressSpaceBytes = 1L << 30 };
        if (!_sandbox.EnforcesRunMemoryLimit)
        {
            Assert.Contains("NO per-run memory limit", _sandbox.Description); // what applies is said at start-up
            return;
        }
        var hog = await Python(forks.Replace("CHILDREN", "4"), limits);
        Assert.False(hog.Succeeded, hog.Stdout);
        Assert.True(hog.OutOfMemory, hog.Describe() + hog.Stdout + hog.Stderr);
        Assert.Contains("memory limit", hog.Describe());

        var modest = await Python(forks.Replace("CHILDREN", "1"), limits);
        Assert.True(modest.Succeeded, modest.Describe() + modest.Stdout + modest.Stderr);
        if (modest.PeakMemoryBytes is { } peak) Assert.InRange(peak, 40L << 20, 96L << 20); // memory.peak needs Linux 5.19 on cgroup v2
    }

    [Fact]
    public void The_start_up_description_says_what_is_enforced()
    {
        Assert.Contains("seccomp", _sandbox.Description);
        Assert.Contains(_sandbox.EnforcesRunMemoryLimit ? "per run (cgroup v" : "NO per-run memory limit", _sandbox.Description);
    }
}
