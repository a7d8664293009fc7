using Mercury.AI.Agents.Runners;
using Mercury.AI.Training.Corpus;

namespace Mercury.AI.Training.Evaluation;

/// <summary>
/// Browser checks for the demo prompts (<see cref="CorpusBuilder.Demos"/>) that judge a page the way its user would.
/// The demo prompts name no element ids, so these checks name none either: any button that puts a joke on the page,
/// any canvas (or element) that moves. The corpus's own tests for these pages expect its canonical ids, which a page
/// written by anyone else need not use.
/// </summary>
public static class DemoPageChecks
{
    private const string Helpers = """
        const clickable = "button, input[type=button], input[type=submit]";
        // What a click changed: the text of the page with the common prefix and suffix cut away.
        const changed = (before, after) => {
          let p = 0, s = 0;
          while (p < before.length && p < after.length && before[p] === after[p]) p++;
          while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
          return after.slice(p, after.length - s);
        };
        const background = () => style("body", "background-color") + " " + style("html", "background-color");
        """;

    private const string JokeTest = """
        test("a click on the button shows a joke", async () => {
          assert(all(clickable).length > 0, "the page has a button");
          let shown = "";
          // A random joke can repeat the one already shown, so up to three clicks.
          for (let i = 0; i < 3 && shown.trim().length < 10; i++) {
            const before = text("body");
            await click(clickable);
            shown = changed(before, text("body"));
          }
          assert(shown.trim().length >= 10, "a click puts a joke (10 or more characters) on the page");
        });
        """;

    private const string ColorTest = """
        test("clicks change the background colour", async () => {
          const seen = new Set([background()]);
          for (let i = 0; i < 3; i++) { await click(clickable); seen.add(background()); }
          assert(seen.size >= 2, "the page's background colour changes when the button is clicked");
        });
        """;

    private const string MotionTest = """
        test("letters move", async () => {
          await sleep(400);
          const canvases = all("canvas");
          if (canvases.length > 0) {
            const first = canvases.map(c => c.toDataURL());
            await sleep(300);
            assert(canvases.some((c, i) => c.toDataURL() !== first[i]), "a canvas changes between frames");
          } else {
            const elements = all("body *"), top = e => e.getBoundingClientRect().top;
            const first = elements.map(top);
            await sleep(300);
            assert(elements.some((e, i) => e.isConnected && top(e) > first[i] + 1), "an element moves down between frames");
          }
        });
        """;

    /// <summary>The checks for the demo made of <paramref name="components"/> (component ids, as in <see cref="CorpusBuilder.Demos"/>).</summary>
    public static TestFile For(IReadOnlyList<string> components)
    {
        var tests = components switch
        {
            ["joke"] => new[] { JokeTest },
            ["joke_color"] => [JokeTest, ColorTest],
            ["falling_letters"] => [MotionTest],
            _ => throw new ArgumentException($"No demo is made of [{string.Join(", ", components)}]."),
        };
        return new TestFile("demo.test.js", Helpers + "\n" + string.Join("\n", tests) + "\n");
    }

    /// <summary>The checks for a demo prompt, or null when <paramref name="instruction"/> is not one of the demos.</summary>
    public static TestFile? ForInstruction(string instruction) =>
        CorpusBuilder.Demos.FirstOrDefault(d => d.Instruction == instruction) is { Instruction: not null } demo ? For(demo.Components) : null;
}
