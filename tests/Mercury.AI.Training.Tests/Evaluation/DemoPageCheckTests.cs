using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Corpus.Pages;
using Mercury.AI.Training.Evaluation;

namespace Mercury.AI.Training.Tests.Evaluation;

/// <summary>
/// The demo prompts name no ids, so the evaluator checks their pages by behaviour in Chromium: pages written the way
/// someone else would (other ids, inline handlers, an input button, letters as moving elements) pass; pages whose
/// button does nothing, or whose picture stands still, fail; the corpus's own demo pages pass too.
/// </summary>
public sealed class DemoPageCheckTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("mercury-demo-checks-").FullName;
    // The runner's 30 s includes Chromium's start, which a loaded 2-core machine can take most of; these tests judge the checks, not speed.
    private readonly ILanguageRunner _browser = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()),
        new HtmlRunnerOptions { TestTimeout = TimeSpan.FromSeconds(120) }).Get("html");

    public void Dispose() => Directory.Delete(_work, true);

    private async Task<TestRunResult> Check(string instruction, string page)
    {
        var checks = DemoPageChecks.ForInstruction(instruction);
        Assert.NotNull(checks);
        return await _browser.RunAsync(page, [checks], Path.Combine(_work, Guid.NewGuid().ToString("N")), CancellationToken.None);
    }

    private const string JokePrompt = "Write a small HTML page with a button that tells a joke.";
    private const string JokeColorPrompt = "Write a small HTML page with a joke button that changes the background colour.";
    private const string FallingPrompt = "Write a small HTML page with letters falling under gravity.";

    [Fact]
    public async Task A_joke_page_with_its_own_ids_passes_and_a_dead_button_fails()
    {
        var works = await Check(JokePrompt, """
            <html><body><h2>Jokes</h2><div id="punch"></div>
            <button onclick="document.getElementById('punch').innerText = ['Knock knock. Who is there? Lettuce.', 'I only know 25 letters. I do not know y.'][Math.floor(Math.random() * 2)]">Joke!</button>
            </body></html>
            """);
        Assert.True(works.Passed, string.Join("; ", works.Tests.Select(t => t.Message)) + works.Stderr);

        var dead = await Check(JokePrompt, "<html><body><button id=\"joke-button\">Tell me a joke</button><p id=\"joke\"></p></body></html>");
        Assert.False(dead.Passed);
        var none = await Check(JokePrompt, "<html><body><p>Why did the chicken cross the road?</p></body></html>");
        Assert.False(none.Passed);
    }

    [Fact]
    public async Task A_joke_and_colour_page_needs_both_the_joke_and_the_colour()
    {
        var works = await Check(JokeColorPrompt, """
            <!DOCTYPE html><html><body><input type="button" value="Joke" id="go"><span id="out"></span>
            <script>
            const hues = ["lightblue", "khaki", "salmon"]; let n = 0;
            document.getElementById("go").addEventListener("click", () => {
              document.getElementById("out").textContent = "Parallel lines have so much in common. Shame they never meet.";
              document.documentElement.style.background = hues[n++ % hues.length];
            });
            </script></body></html>
            """);
        Assert.True(works.Passed, string.Join("; ", works.Tests.Select(t => t.Message)) + works.Stderr);

        var jokeOnly = await Check(JokeColorPrompt, """
            <html><body><button>Joke</button><p></p>
            <script>document.querySelector("button").onclick = () => document.querySelector("p").textContent = "A joke that is long enough.";</script>
            </body></html>
            """);
        Assert.False(jokeOnly.Passed);
        Assert.Contains(jokeOnly.Tests, t => t.Passed);
    }

    [Fact]
    public async Task Falling_letters_pass_on_a_canvas_or_as_elements_and_a_still_picture_fails()
    {
        var dom = await Check(FallingPrompt, """
            <html><body style="height: 600px">
            <script>
            // A new letter every 100 ms falls until it reaches the floor and is removed.
            setInterval(() => {
              const s = document.createElement("span");
              s.textContent = String.fromCharCode(65 + Math.floor(Math.random() * 26));
              s.style.cssText = `position: absolute; left: ${Math.floor(Math.random() * 500)}px; top: 0px`;
              s.v = 0;
              document.body.appendChild(s);
            }, 100);
            setInterval(() => {
              for (const s of [...document.querySelectorAll("span")]) {
                s.v += 0.5;
                const y = parseFloat(s.style.top) + s.v;
                if (y > 500) s.remove(); else s.style.top = y + "px";
              }
            }, 16);
            </script></body></html>
            """);
        Assert.True(dom.Passed, string.Join("; ", dom.Tests.Select(t => t.Message)) + dom.Stderr);

        var still = await Check(FallingPrompt, """
            <html><body><canvas width="200" height="200"></canvas>
            <script>document.querySelector("canvas").getContext("2d").fillText("A", 50, 50);</script></body></html>
            """);
        Assert.False(still.Passed);
    }

    [Fact]
    public async Task The_corpus_demo_pages_pass()
    {
        foreach (var (instruction, components) in CorpusBuilder.Demos)
        {
            var page = PageBuilder.Make(components.Select(c => PageComponents.All.Single(x => x.Id == c)).ToList(), new Random(1), instruction, nameIds: false);
            var result = await Check(instruction, page.Page);
            Assert.True(result.Passed, $"{instruction}: {string.Join("; ", result.Tests.Select(t => t.Message))}");
        }
    }

    [Fact]
    public void Only_the_demos_have_checks()
    {
        Assert.Null(DemoPageChecks.ForInstruction("Write a small HTML page with a counter."));
        Assert.Throws<ArgumentException>(() => DemoPageChecks.For(["counter"]));
    }
}
