using Microsoft.Playwright;

namespace Mercury.AI.Agents.Runners;

/// <summary>Where the browser is and how it is started (configuration section "Agents:Html").</summary>
public sealed class HtmlRunnerOptions
{
    /// <summary>Debian's chromium; Playwright's own browser download is never used.</summary>
    public string ChromiumPath { get; set; } = "/usr/bin/chromium";

    public TimeSpan TestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// bubblewrap binary used to start Chromium in a network namespace of its own (no network at all, not only
    /// blocked requests), with the system read-only and only the run's folder writable. Null: request blocking only.
    /// </summary>
    public string? BubblewrapPath { get; set; } = Sandbox.BubblewrapSandbox.Locate();
}

/// <summary>
/// A single HTML page (inline CSS and JS) tested in headless Chromium through Playwright for .NET. Each test file is
/// JavaScript run in the page after load, with helpers such as click(selector) (a real Playwright click) and
/// text(selector); a screenshot is kept. The page cannot reach the network: every request that is not the page's own
/// file, a data: or a blob: URL is aborted, and Chromium starts with a fresh profile and background networking off.
/// </summary>
public sealed class HtmlRunner(HtmlRunnerOptions options) : ILanguageRunner
{
    public HtmlRunner() : this(new HtmlRunnerOptions()) { }

    public string Language => "html";
    public string SolutionFileName => "index.html";
    public IReadOnlyList<string> FenceTags => ["html", "htm"];

    public string SolutionConventions =>
        "Write one complete HTML document (<!DOCTYPE html> ... </html>) with its CSS in a <style> element and its " +
        "JavaScript in a <script> element. It must not load anything from the network: no CDN scripts, fonts, images or fetch calls.";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
        "--disable-sync", "--disable-default-apps", "--no-first-run", "--disable-extensions",
    ];

    public async Task<TestRunResult> RunAsync(string solution, IReadOnlyList<TestFile> tests, string workDirectory, CancellationToken cancellationToken = default)
    {
        string pageDir = Path.Combine(workDirectory, "page");
        string profileDir = Path.Combine(workDirectory, "profile");
        string artifactsDir = Path.Combine(workDirectory, "artifacts");
        Directory.CreateDirectory(pageDir);
        Directory.CreateDirectory(profileDir);
        Directory.CreateDirectory(artifactsDir);
        string pagePath = Path.Combine(pageDir, SolutionFileName);
        await File.WriteAllTextAsync(pagePath, solution, cancellationToken).ConfigureAwait(false);
        string pageUrl = new Uri(pagePath).AbsoluteUri;

        var started = DateTime.UtcNow;
        var console = new List<string>();
        var results = new List<TestCaseResult>();
        var artifacts = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.TestTimeout);

        using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        await using var context = await playwright.Chromium.LaunchPersistentContextAsync(profileDir, new()
        {
            ExecutablePath = await BrowserExecutableAsync(workDirectory, cancellationToken).ConfigureAwait(false),
            Headless = true,
            Args = ChromiumArgs,
            ViewportSize = new() { Width = 800, Height = 600 },
            Timeout = 30_000,
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
        await page.ExposeFunctionAsync<string, Task<bool>>("__mercuryClick", async selector =>
        {
            await page.ClickAsync(selector).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

        string harness = HarnessRunner.ReadResource("Harness/html_harness.js");
        try
        {
            foreach (var test in tests)
            {
                // A fresh load per test file, so one file's clicks do not leak into the next.
                await page.GotoAsync(pageUrl, new() { WaitUntil = WaitUntilState.Load }).WaitAsync(timeout.Token).ConfigureAwait(false);
                await page.AddScriptTagAsync(new() { Content = harness }).WaitAsync(timeout.Token).ConfigureAwait(false);
                var json = await page.EvaluateAsync<System.Text.Json.JsonElement>("source => window.__mercuryRunTests(source)", test.Content)
                    .WaitAsync(timeout.Token).ConfigureAwait(false);
                var fileResults = System.Text.Json.JsonSerializer.Deserialize<List<TestCaseResult>>(json, HarnessRunner.JsonOptions) ?? [];
                results.AddRange(fileResults.Count > 0 ? fileResults : [new TestCaseResult(test.Name, true)]);
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

    /// <summary>
    /// Chromium itself, or a script that starts it inside bubblewrap without a network. Playwright talks to the browser
    /// over inherited pipes (--remote-debugging-pipe, fds 3 and 4), which bubblewrap passes through.
    /// </summary>
    private async Task<string> BrowserExecutableAsync(string workDirectory, CancellationToken cancellationToken)
    {
        if (options.BubblewrapPath is null || !OperatingSystem.IsLinux()) return options.ChromiumPath;
        string work = Path.GetFullPath(workDirectory);
        string script = Path.Combine(work, "chromium-no-network.sh");
        string[] args =
        [
            options.BubblewrapPath, "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
            "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--ro-bind-try", "/sys", "/sys",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm",
            "--bind", work, work, "--setenv", "HOME", work, "--setenv", "TMPDIR", "/tmp",
            "--", options.ChromiumPath,
        ];
        string body = "#!/bin/sh\nexec " + string.Join(" ", args.Select(Quote)) + " \"$@\"\n";
        await File.WriteAllTextAsync(script, body, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
