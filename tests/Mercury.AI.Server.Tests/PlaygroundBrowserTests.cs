using System.Collections.Concurrent;
using Mercury.AI.Chat.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Mercury.AI.Server.Tests;

/// <summary>
/// The playground page (<c>GET /</c>) in headless Chromium against an in-process server whose model is scripted and
/// slowed down, so that the live denoising canvas, the stats, the HTML preview and the API key field can be observed.
/// </summary>
public sealed class PlaygroundBrowserTests
{
    /// <summary>Debian's chromium; Playwright's own browser download is never used (CI installs the package).</summary>
    private const string ChromiumPath = "/usr/bin/chromium";

    private const string JokePage = """
        Here is a page with a joke button:
        ```html
        <!doctype html>
        <html><body>
        <button id="joke">Tell a joke</button>
        <p id="punchline"></p>
        <script>
        document.getElementById("joke").onclick = () => {
          document.getElementById("punchline").textContent = "Why did the model unmask? It had nothing to hide.";
        };
        </script>
        </body></html>
        ```
        """;

    public PlaygroundBrowserTests() => SetDefaultExpectTimeout(30_000);

    [Fact]
    public async Task Generate_DrawsTheCanvasAtEveryStep_AndPreviewsTheHtmlAnswer()
    {
        var backend = new ScriptedBackend(_ => JokePage) { TokensPerStep = 2, BeforeStep = _ => Thread.Sleep(30) };
        int answerTokens = backend.Tokenizer.Encode(JokePage).Count;
        await using var server = await ServerHost.StartAsync(() => ScriptedBackend.Client(backend));
        await using var browser = await LaunchAsync();
        var page = await OpenAsync(browser, server.BaseAddress);

        // Room for the whole answer, so the fence closes; ~3 tokens per step gives dozens of observable steps.
        await page.FillAsync("#max-tokens", (answerTokens + 8).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("#prompt", "Write a page with a button that tells a joke.");
        // Records whether the canvas ever showed a masked glyph, whatever the polling below happens to catch.
        await page.EvaluateAsync("""
            () => {
              const canvas = document.getElementById("canvas");
              window.__sawMask = false;
              new MutationObserver(() => { if (canvas.textContent.includes("\u2591")) window.__sawMask = true; })
                .observe(canvas, { childList: true, subtree: true, characterData: true });
            }
            """);
        await page.ClickAsync("#generate");
        // A picture of the canvas mid-decode (masks dim, fresh tokens highlighted), kept beside the final one.
        await page.WaitForFunctionAsync("() => window.__mercurySteps.length >= 8");
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "playground-denoising.png") });

        await Expect(page.Locator("#preview-panel")).ToBeVisibleAsync();
        await Expect(page.Locator("#stop")).ToBeDisabledAsync();
        await Expect(page.Locator("#error")).ToBeHiddenAsync();

        int[] steps = await page.EvaluateAsync<int[]>("() => window.__mercurySteps");
        Assert.True(steps.Distinct().Count() >= 3, $"The canvas should be redrawn at several steps; saw [{string.Join(", ", steps)}].");
        Assert.Equal(steps.OrderBy(s => s), steps);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sawMask"), "The canvas never showed a masked position (░).");
        Assert.Equal(steps[^1].ToString(System.Globalization.CultureInfo.InvariantCulture), await page.GetAttributeAsync("#canvas", "data-step"));

        // The final canvas is the clean answer, also shown as text.
        string canvas = await page.InnerTextAsync("#canvas");
        Assert.DoesNotContain("░", canvas);
        Assert.Contains("<button id=\"joke\">Tell a joke</button>", canvas);
        await Expect(page.Locator("#answer")).ToContainTextAsync("Here is a page with a joke button:");
        await Expect(page.Locator("#stats")).ToContainTextAsync($"step {steps.Length}");
        await Expect(page.Locator("#stats")).ToContainTextAsync("scripted-model");
        await Expect(page.Locator("#stats")).ToContainTextAsync("tok/s");

        // The preview is sandboxed (scripts, but not the playground's origin) and its script runs.
        Assert.Equal("allow-scripts", await page.GetAttributeAsync("#preview", "sandbox"));
        var joke = page.FrameLocator("#preview").Locator("#joke");
        await Expect(joke).ToHaveTextAsync("Tell a joke");
        await joke.ClickAsync();
        await Expect(page.FrameLocator("#preview").Locator("#punchline")).ToContainTextAsync("nothing to hide");

        string screenshot = Path.Combine(AppContext.BaseDirectory, "playground.png");
        File.Delete(screenshot);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 0, $"No screenshot at {screenshot}.");
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task ApiKey_MissingShowsTheError_TypedKeyIsSentAndKept()
    {
        await using var server = await ServerHost.StartAsync(() => ScriptedBackend.Client(_ => "Hello from the scripted model."), o => o.ApiKey = "k");
        await using var browser = await LaunchAsync();
        var page = await OpenAsync(browser, server.BaseAddress);

        await page.ClickAsync("#generate");
        await Expect(page.Locator("#error")).ToBeVisibleAsync();
        await Expect(page.Locator("#error")).ToContainTextAsync("401");
        await Expect(page.Locator("#error")).ToContainTextAsync("API key");
        await Expect(page.Locator("#generate")).ToBeEnabledAsync();

        await page.FillAsync("#api-key", "k");
        await page.ClickAsync("#generate");
        await Expect(page.Locator("#answer")).ToHaveTextAsync("Hello from the scripted model.");
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
        await Expect(page.Locator("#preview-panel")).ToBeHiddenAsync();

        // The key survives a reload (localStorage).
        await page.ReloadAsync();
        await Expect(page.Locator("#api-key")).ToHaveValueAsync("k");
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task Stop_AbortsTheStream_AndTheServerCancelsTheDecode()
    {
        var backend = new ScriptedBackend(_ => string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 40)))
        {
            TokensPerStep = 1, BeforeStep = _ => Thread.Sleep(50),
        };
        await using var server = await ServerHost.StartAsync(() => ScriptedBackend.Client(backend));
        await using var browser = await LaunchAsync();
        var page = await OpenAsync(browser, server.BaseAddress);

        await page.FillAsync("#max-tokens", "256");
        await page.ClickAsync("#generate");
        await page.WaitForFunctionAsync("() => window.__mercurySteps.length >= 2");
        await page.ClickAsync("#stop");

        await Expect(page.Locator("#stats")).ToContainTextAsync("stopped");
        await Expect(page.Locator("#generate")).ToBeEnabledAsync();
        await Expect(page.Locator("#stop")).ToBeDisabledAsync();
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
        await Expect(page.Locator("#result")).ToBeHiddenAsync();
        for (int i = 0; i < 100 && !backend.SawCancellation; i++) await Task.Delay(100);
        Assert.True(backend.SawCancellation, "Stopping in the page should cancel the decode on the server.");
        browser.AssertNoPageErrors();
    }

    [Fact]
    public async Task FailureAfterTheStreamStarted_IsShownFromTheInBandError()
    {
        await using var server = await ServerHost.StartAsync(() => ScriptedBackend.Client(_ => throw new InvalidOperationException("the scripted model broke")));
        await using var browser = await LaunchAsync();
        var page = await OpenAsync(browser, server.BaseAddress);

        await page.ClickAsync("#generate");
        await Expect(page.Locator("#error")).ToContainTextAsync("the scripted model broke");
        await Expect(page.Locator("#stats")).ToContainTextAsync("failed");
        await Expect(page.Locator("#generate")).ToBeEnabledAsync();
        await Expect(page.Locator("#result")).ToBeHiddenAsync();
        browser.AssertNoPageErrors();
    }

    private static async Task<Browser> LaunchAsync()
    {
        Assert.True(File.Exists(ChromiumPath),
            $"The playground browser tests need Debian's chromium at {ChromiumPath} (apt-get install chromium); Playwright's browser download is not used.");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-background-networking"],
                Timeout = 60_000,
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens the playground and waits until it reports the model ready.</summary>
    private static async Task<IPage> OpenAsync(Browser browser, Uri baseAddress)
    {
        var page = await browser.Instance.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        page.PageError += (_, e) => browser.Errors.Enqueue($"[page error] {e}");
        // The 401 of the API key test is expected; Chromium logs every failed request as a console error.
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.Contains("401", StringComparison.Ordinal)) browser.Errors.Enqueue($"[console] {m.Text}"); };
        await page.GotoAsync(new Uri(baseAddress, "/").ToString());
        await Expect(page.Locator("#status")).ToContainTextAsync("ready");
        await Expect(page.Locator("#generate")).ToBeEnabledAsync();
        return page;
    }

    /// <summary>Playwright and its browser, closed together, and what the page reported as errors.</summary>
    private sealed class Browser(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public IBrowser Instance => browser;

        /// <summary>Page errors and console errors (Playwright raises its events on its own threads).</summary>
        public ConcurrentQueue<string> Errors { get; } = new();

        public void AssertNoPageErrors() => Assert.True(Errors.IsEmpty, "The page reported errors:\n" + string.Join('\n', Errors));

        public async ValueTask DisposeAsync()
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }
}
