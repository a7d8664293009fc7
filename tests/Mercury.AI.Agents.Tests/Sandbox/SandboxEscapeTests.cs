using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Sandbox;

/// <summary>Each test is an attempt to get out; each must be contained. Needs bubblewrap (CI installs it).</summary>
public sealed class SandboxEscapeTests : IDisposable
{
    private readonly TempFolder _workspace = new("mercury-sandbox");
    private readonly ISandbox _sandbox = SandboxFactory.Create(new SandboxOptions());

    public void Dispose() => _workspace.Dispose();

    private Task<SandboxResult> Python(string code, SandboxLimits? limits = null, CancellationToken cancellationToken = default)
    {
        File.WriteAllText(_workspace.Combine("main.py"), code);
        return _sandbox.RunAsync(new SandboxRequest(["/usr/bin/python3", "main.py"], _workspace.Path)
        {
            Limits = limits ?? new SandboxLimits { WallClock = TimeSpan.FromSeconds(10), CpuSeconds = 5 },
        }, cancellationToken);
    }

    [Fact]
    public async Task Runs_code_in_isolation_and_reports_output()
    {
        Assert.True(_sandbox.IsIsolated, _sandbox.Description);
        var result = await Python("import os\nprint('hello', os.getcwd())");
        Assert.True(result.Succeeded, result.Stderr);
        Assert.Equal("hello /work", result.Stdout.Trim());
    }

    [Fact]
    public async Task Fork_bomb_is_contained_by_the_process_limit_and_the_clock()
    {
        var result = await Python("import os\nwhile True:\n    try: os.fork()\n    except OSError: pass",
            new SandboxLimits { WallClock = TimeSpan.FromSeconds(5), CpuSeconds = 5, MaxProcesses = 32 });
        Assert.False(result.Succeeded);
        Assert.True(result.Duration < TimeSpan.FromSeconds(20), $"took {result.Duration}");
        // Nothing of the bomb survives the run (a survivor would also eat the process quota of its uid).
        await Task.Delay(300);
        Assert.Empty(ProcessesRunning("/usr/bin/python3\0main.py\0"));
    }

    /// <summary>Host processes with this exact command line (only this test class runs main.py, one test at a time).</summary>
    private static List<string> ProcessesRunning(string cmdline) =>
        Directory.EnumerateDirectories("/proc")
            .Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Where(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")) == cmdline; } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; } })
            .ToList();

    [Fact]
    public async Task Infinite_loop_is_stopped_by_the_cpu_limit()
    {
        var result = await Python("while True: pass",
            new SandboxLimits { WallClock = TimeSpan.FromSeconds(30), CpuSeconds = 2 });
        Assert.False(result.Succeeded);
        Assert.False(result.TimedOut); // RLIMIT_CPU, not the clock, got it
        Assert.True(result.Duration < TimeSpan.FromSeconds(15), $"took {result.Duration}");
    }

    [Fact]
    public async Task Sleeping_process_tree_is_killed_at_the_wall_clock()
    {
        string marker = "mercury" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(_workspace.Combine("main.sh"), $"(exec -a {marker} sleep 600) &\n(exec -a {marker} sleep 600) &\nwait\n");
        var result = await _sandbox.RunAsync(new SandboxRequest(["/bin/bash", "main.sh"], _workspace.Path)
        {
            Limits = new SandboxLimits { WallClock = TimeSpan.FromSeconds(2) },
        });
        Assert.True(result.TimedOut, result.ToString());
        await Task.Delay(500);
        var survivors = Directory.EnumerateDirectories("/proc")
            .Select(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
            .Where(cmd => cmd.StartsWith(marker, StringComparison.Ordinal))
            .ToList();
        Assert.Empty(survivors);
    }

    [Fact]
    public async Task Memory_hog_is_stopped_by_the_address_space_limit()
    {
        var result = await Python("chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 * 1024))",
            new SandboxLimits { WallClock = TimeSpan.FromSeconds(20), AddressSpaceBytes = 512L << 20 });
        Assert.False(result.Succeeded);
        Assert.Contains("MemoryError", result.Stderr);
    }

    [Fact]
    public async Task Network_is_unreachable()
    {
        var result = await Python("""
            import socket
            for host in [("1.1.1.1", 80), ("127.0.0.1", 22)]:
                try:
                    socket.create_connection(host, timeout=3); print("CONNECTED", host)
                except OSError as e:
                    print("blocked", host, e)
            try:
                socket.getaddrinfo("example.com", 80); print("RESOLVED")
            except OSError as e:
                print("no dns", e)
            """);
        Assert.DoesNotContain("CONNECTED", result.Stdout);
        Assert.DoesNotContain("RESOLVED", result.Stdout);
        Assert.Contains("blocked", result.Stdout);
    }

    [Fact]
    public async Task Writes_outside_the_workspace_fail_and_nothing_reaches_the_host()
    {
        string hostTarget = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mercury-escape-" + Guid.NewGuid().ToString("N"));
        var result = await Python($$"""
            import os
            for path in ["/usr/escape.txt", "/etc/escape.txt", "/root/escape.txt", "{{hostTarget}}", "/inputs/x", "/escape.txt", "/work/main.py"]:
                try:
                    with open(path, "w") as f: f.write("x")
                    print("WROTE", path)
                except OSError as e:
                    print("denied", path, type(e).__name__)
            with open("/work/inside.txt", "w") as f: f.write("ok")
            print("inside ok")
            """);
        Assert.DoesNotContain("WROTE", result.Stdout);
        Assert.Contains("inside ok", result.Stdout);
        Assert.False(File.Exists(hostTarget));
        Assert.False(File.Exists("/usr/escape.txt"));
        // The workspace is the run's own tmpfs: what the code writes there never lands in the host folder.
        Assert.False(File.Exists(_workspace.Combine("inside.txt")), result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task Host_files_outside_the_allowed_set_are_invisible()
    {
        string secretInTmp = Path.Combine(Path.GetTempPath(), "mercury-secret-" + Guid.NewGuid().ToString("N"));
        string secretInHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mercury-secret-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(secretInTmp, "TOPSECRET");
        File.WriteAllText(secretInHome, "TOPSECRET");
        try
        {
            var result = await Python($$"""
                for path in ["{{secretInTmp}}", "{{secretInHome}}", "/etc/shadow", "/etc/os-release"]:
                    try:
                        print("READ", path, open(path).read()[:20])
                    except OSError as e:
                        print("hidden", path, type(e).__name__)
                """);
            Assert.DoesNotContain("TOPSECRET", result.Stdout);
            Assert.DoesNotContain("READ", result.Stdout);
            Assert.Equal(4, result.Stdout.Split('\n').Count(l => l.StartsWith("hidden", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(secretInTmp);
            File.Delete(secretInHome);
        }
    }

    [Fact]
    public async Task Hundred_megabytes_of_output_are_cut_off_and_the_writer_killed()
    {
        var result = await Python("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.write(chunk)\nsys.stdout.flush()",
            new SandboxLimits { WallClock = TimeSpan.FromSeconds(30), CpuSeconds = 20, MaxOutputBytes = 64 << 10 });
        Assert.True(result.OutputLimitExceeded, (result with { Stdout = result.Stdout.Length.ToString() }).ToString());
        Assert.True(result.Stdout.Length < (64 << 10) + 200);
        Assert.True(result.Duration < TimeSpan.FromSeconds(15), $"took {result.Duration}");
    }

    [Fact]
    public async Task Large_file_is_stopped_by_the_file_size_limit()
    {
        var result = await Python("with open('big.bin', 'wb') as f:\n    f.write(b'x' * (64 << 20))",
            new SandboxLimits { MaxFileSizeBytes = 1 << 20 });
        Assert.False(result.Succeeded);
        Assert.Contains("File too large", result.Stderr); // EFBIG (python ignores SIGXFSZ)
        Assert.False(File.Exists(_workspace.Combine("big.bin")));
    }

    [Fact]
    public async Task Cancellation_kills_the_run()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var result = await Python("import time\ntime.sleep(60)",
            new SandboxLimits { WallClock = TimeSpan.FromSeconds(60) }, cts.Token);
        Assert.True(result.Cancelled);
        Assert.True(result.Duration < TimeSpan.FromSeconds(10), $"took {result.Duration}");
    }

    [Fact]
    public void Missing_bubblewrap_is_refused_unless_unsafe_mode_is_chosen()
    {
        var missing = new SandboxOptions { BubblewrapPath = "/nonexistent/bwrap" };
        var error = Assert.Throws<SandboxUnavailableException>(() => SandboxFactory.Create(missing));
        Assert.Contains("apt-get install -y bubblewrap", error.Message);
        Assert.Contains("AllowUnsafeNoIsolation", error.Message);

        missing.AllowUnsafeNoIsolation = true;
        var unsafeSandbox = SandboxFactory.Create(missing);
        Assert.False(unsafeSandbox.IsIsolated);
        Assert.Contains("UNSAFE", unsafeSandbox.Description);
    }
}
