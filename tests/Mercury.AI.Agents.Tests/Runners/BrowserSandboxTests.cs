using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Runners;

/// <summary>Issue 14, item 10: the browser of the HTML runner is sandboxed like the other runners. Looked at from the host while it runs.</summary>
public sealed class BrowserSandboxTests : IDisposable
{
    private readonly TempFolder _work = new("mercury-browser");

    public void Dispose() => _work.Dispose();

    private sealed record BrowserProcess(int Pid, uint Uid, string CapEff, string PidNamespace, string Environment, string Cgroup);

    [Fact]
    public async Task Chromium_runs_unprivileged_in_its_own_pid_namespace_with_no_host_environment()
    {
        string secret = "host-secret-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable("MERCURY_TEST_API_KEY", secret);
        var sandbox = (BubblewrapSandbox)SandboxFactory.Create(new SandboxOptions());
        string work = _work.Combine("run");
        var seen = new List<BrowserProcess>();
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var p in BrowserProcesses(work)) if (seen.All(s => s.Pid != p.Pid)) seen.Add(p);
                await Task.Delay(100);
            }
        });
        var result = await new HtmlRunner(sandbox).RunAsync("<!DOCTYPE html><html><body><p id='x'>hi</p></body></html>",
            [new TestFile("page.test.js", "test('waits', async () => { await sleep(1500); assertEqual(text('#x'), 'hi'); });")], work);
        await stop.CancelAsync();
        await watcher;
        Environment.SetEnvironmentVariable("MERCURY_TEST_API_KEY", null);

        Assert.True(result.Passed, string.Join("\n", result.Tests) + result.Stderr);
        Assert.NotEmpty(seen);
        string hostPidNamespace = new FileInfo("/proc/self/ns/pid").LinkTarget!;
        foreach (var p in seen)
        {
            Assert.NotEqual(hostPidNamespace, p.PidNamespace);
            Assert.Equal("0000000000000000", p.CapEff);
            if (Posix.IsRoot) Assert.InRange(p.Uid, 60100u, 60355u); // an unprivileged uid, not root
            Assert.DoesNotContain(secret, p.Environment);
            Assert.DoesNotContain("MERCURY_TEST_API_KEY", p.Environment);
            if (sandbox.EnforcesRunMemoryLimit) Assert.Contains("mercury-sandbox/run-", p.Cgroup);
        }
    }

    /// <summary>Chromium processes of this run: the Chromium binary as argv[0] (Chromium rewrites its title, but keeps that
    /// prefix) and the profile folder in the command line. The launcher chain before it (Playwright's launcher script,
    /// bash, bwrap, setpriv before it drops its capabilities, prlimit) names Chromium in its arguments too, but is not the
    /// browser: as root, the script and setpriv legitimately hold capabilities for the moment before they exec.</summary>
    private static IEnumerable<BrowserProcess> BrowserProcesses(string work)
    {
        string chromium = new HtmlRunnerOptions().ChromiumPath;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            BrowserProcess? found = null;
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (!cmdline.StartsWith(chromium, StringComparison.Ordinal) || !cmdline.Contains(work, StringComparison.Ordinal)) continue;
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                string Field(string name) => status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
                found = new BrowserProcess(pid, uint.Parse(Field("Uid")), Field("CapEff"), new FileInfo(Path.Combine(dir, "ns", "pid")).LinkTarget ?? "",
                    File.ReadAllText(Path.Combine(dir, "environ")).Replace('\0', '\n'), File.ReadAllText(Path.Combine(dir, "cgroup")));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { }
            if (found is not null) yield return found;
        }
    }
}
