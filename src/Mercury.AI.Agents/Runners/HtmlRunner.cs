using Microsoft.Playwright;

namespace Mercury.AI.Agents.Runners;

/// <summary>Where the browser is and how it is started (configuration section "Agents:Html").</summary>
public sealed class HtmlRunnerOptions
{
    /// <summary>Debian's chromium; Playwright's own browser download is never used.</summary>
    public string ChromiumPath { get; set; } = "/usr/bin/chromium";

    public TimeSpan TestTimeout { get; set; } = TimeSpan.FromSeconds(30);
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
            ExecutablePath = options.ChromiumPath,
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
}
