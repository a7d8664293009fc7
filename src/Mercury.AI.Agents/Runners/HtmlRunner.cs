using Mercury.AI.Agents.Sandbox;
using Microsoft.Playwright;

namespace Mercury.AI.Agents.Runners;

/// <summary>Where the browser is and how it is started (configuration section "Agents:Html").</summary>
public sealed class HtmlRunnerOptions
{
    /// <summary>Debian's chromium binary (not its /usr/bin wrapper script, which wants /etc/chromium.d); Playwright's own
    /// browser download is never used.</summary>
    public string ChromiumPath { get; set; } = File.Exists("/usr/lib/chromium/chromium") ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";

    public TimeSpan TestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A single HTML page (inline CSS and JS) tested in headless Chromium through Playwright for .NET. Each test file is
/// JavaScript run in the page after load, with helpers such as click(selector) (a real Playwright click) and
/// text(selector); a screenshot is kept.
/// <para>Chromium runs in the same sandbox as the other runners (<see cref="ISandbox.CreateLauncher"/>): no network
/// namespace to reach out of, an unprivileged uid or a user namespace, its own PID namespace, an empty environment,
/// the /etc allow-list, the seccomp filter and the run's memory cgroup. Requests other than the page's own file, data:
/// and blob: URLs are also aborted. The test harness is an init script, so it is in place before the page's first
/// script runs, under a random name the page cannot redefine; a test file that yields no results fails.</para>
/// </summary>
public sealed class HtmlRunner(ISandbox sandbox, HtmlRunnerOptions options) : ILanguageRunner
{
    public HtmlRunner(ISandbox sandbox) : this(sandbox, new HtmlRunnerOptions()) { }

    public string Language => "html";
    public string SolutionFileName => "index.html";
    public IReadOnlyList<string> FenceTags => ["html", "htm"];

    public string SolutionConventions =>
        "Write one complete HTML document (<!DOCTYPE html> ... </html>) with its CSS in a <style> element and its " +
        "JavaScript in a <script> element. It must not load anything from the network: no CDN scripts, fonts, images or fetch calls.";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
        "--disable-sync", "--disable-default-apps", "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage",
        "--disk-cache-size=1048576", "--disable-breakpad",
    ];

    private static readonly SandboxLimits BrowserLimits = new()
    {
        CpuSeconds = 120,
        AddressSpaceBytes = null,     // V8 and PartitionAlloc reserve terabytes of address space
        MaxProcesses = 512,           // browser, renderer, GPU and utility processes, with their threads
        MaxOpenFiles = 2048,
        MaxFileSizeBytes = 64L << 20,
        MemoryBytes = 1L << 30,
        WorkspaceBytes = 128L << 20,  // HOME: ~/.config, ~/.cache
        TmpBytes = 256L << 20,        // shared memory goes here (--disable-dev-shm-usage)
        ShmBytes = 64L << 20,
    };

    public async Task<TestRunResult> RunAsync(string solution, IReadOnlyList<TestFile> tests, string workDirectory, CancellationToken cancellationToken = default)
    {
        string work = Path.GetFullPath(workDirectory);
        // browser/ is the browser's to write (Playwright names the profile and the page by host path); the launcher
        // script and the screenshots stay outside it.
        string browserDir = Path.Combine(work, "browser");
        string pageDir = Path.Combine(browserDir, "page");
        string profileDir = Path.Combine(browserDir, "profile");
        string artifactsDir = Path.Combine(work, "artifacts");
        string emptyWorkspace = Path.Combine(work, "workspace");
        foreach (var dir in new[] { pageDir, profileDir, artifactsDir, emptyWorkspace }) Directory.CreateDirectory(dir);
        string pagePath = Path.Combine(pageDir, SolutionFileName);
        await File.WriteAllTextAsync(pagePath, solution, cancellationToken).ConfigureAwait(false);
        string pageUrl = new Uri(pagePath).AbsoluteUri;

        var started = DateTime.UtcNow;
        var console = new List<string>();
        var results = new List<TestCaseResult>();
        var artifacts = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.TestTimeout);

        using var launcher = sandbox.CreateLauncher(new SandboxRequest([options.ChromiumPath], emptyWorkspace)
        {
            Limits = BrowserLimits,
            SharedFolders = [browserDir],
            Environment = new Dictionary<string, string>
            {
                ["XDG_CONFIG_HOME"] = SandboxPaths.Workspace + "/.config",
                ["XDG_CACHE_HOME"] = SandboxPaths.Workspace + "/.cache",
            },
        }, Path.Combine(work, "chromium-sandboxed.sh"));
        using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        await using var context = await playwright.Chromium.LaunchPersistentContextAsync(profileDir, new()
        {
            ExecutablePath = launcher.Path,
            Headless = true,
            Args = ChromiumArgs,
            ViewportSize = new() { Width = 800, Height = 600 },
            Timeout = 30_000,
            Env = new Dictionary<string, string>(), // nothing of the host's environment (API keys) reaches the launcher
        }).ConfigureAwait(false);
        await context.RouteAsync("**/*", async route =>
        {
            string url = route.Request.Url;
            if (url == pageUrl || url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("blob:", StringComparison.Ordinal))
                await route.ContinueAsync().ConfigureAwait(false);
            else
            {
                lock (console) console.Add($"[blocked network request] {url}");
                await route.AbortAsync("blockedbyclient").ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        await context.RouteWebSocketAsync("**/*", ws => ws.CloseAsync()).ConfigureAwait(false);

        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync().ConfigureAwait(false);
        page.SetDefaultTimeout(5_000);
        page.Console += (_, m) => { if (m.Type is "error" or "warning") lock (console) console.Add($"[console.{m.Type}] {m.Text}"); };
        page.PageError += (_, e) => { lock (console) console.Add($"[page error] {e}"); };
        string clickBinding = "__mercuryClick_" + HarnessRunner.NewSecret();
        await page.ExposeFunctionAsync<string, Task<bool>>(clickBinding, async selector =>
        {
            await page.ClickAsync(selector).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        string harnessName = "__mercuryTests_" + HarnessRunner.NewSecret();
        await page.AddInitScriptAsync(HarnessRunner.ReadResource("Harness/html_harness.js")
            .Replace("__HARNESS_NAME__", harnessName, StringComparison.Ordinal)
            .Replace("__CLICK_BINDING__", clickBinding, StringComparison.Ordinal)).ConfigureAwait(false);

        try
        {
            foreach (var test in tests)
            {
                // A fresh load per test file, so one file's clicks do not leak into the next.
                await page.GotoAsync(pageUrl, new() { WaitUntil = WaitUntilState.Load }).WaitAsync(timeout.Token).ConfigureAwait(false);
                var json = await page.EvaluateAsync<string?>($"source => window['{harnessName}'](source)", test.Content)
                    .WaitAsync(timeout.Token).ConfigureAwait(false);
                results.AddRange(ReadResults(test.Name, json));
            }
            string screenshot = Path.Combine(artifactsDir, "screenshot.png");
            await page.ScreenshotAsync(new() { Path = screenshot }).WaitAsync(timeout.Token).ConfigureAwait(false);
            artifacts.Add(screenshot);
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            results.Add(new TestCaseResult("page", false, e is OperationCanceledException
                ? $"The tests did not finish within {options.TestTimeout.TotalSeconds:0} s."
                : e.Message.Split('\n')[0]));
        }

        string consoleText;
        await context.CloseAsync().ConfigureAwait(false);
        lock (console) consoleText = string.Join('\n', console);
        return new TestRunResult
        {
            Tests = results,
            Stderr = consoleText,
            Exit = "browser closed",
            Duration = DateTime.UtcNow - started,
            Artifacts = artifacts,
        };
    }

    /// <summary>The harness's JSON; anything else — nothing, no entries, not JSON — is a failure of the file, never a pass.</summary>
    internal static IReadOnlyList<TestCaseResult> ReadResults(string file, string? json)
    {
        List<TestCaseResult>? parsed = null;
        try { parsed = json is null ? null : System.Text.Json.JsonSerializer.Deserialize<List<TestCaseResult>>(json, HarnessRunner.JsonOptions); }
        catch (System.Text.Json.JsonException) { }
        return parsed is { Count: > 0 } && parsed.All(r => r is { Name: not null })
            ? parsed
            : [new TestCaseResult(file, false, "The page's test harness returned no results (did the page interfere with it?).")];
    }
}
