namespace Mercury.AI.Training.Corpus.Pages;

/// <summary>
/// One piece of a page: its markup, style and script, the phrases that ask for it, and browser tests (the agent
/// host's HTML test format: <c>test</c>, <c>click</c>, <c>text</c>, <c>style</c>, <c>all</c>, <c>$</c>, <c>sleep</c>).
/// Ids are fixed per component, or given by the instruction (<see cref="Ids"/>); tests name them either way.
/// </summary>
public sealed record PageComponent(string Id, string[] Phrases, Func<Ids, string> Html, Func<Ids, string> Css, Func<Ids, string> Script, Func<Ids, string> Tests,
    string[] IdKeys, Func<Random, Ids>? Draw = null);

/// <summary>The ids (and other small values) a component instance uses; <see cref="Named"/> says the instruction names them.</summary>
public sealed record Ids(IReadOnlyDictionary<string, string> Values, bool Named)
{
    public string this[string key] => Values[key];
}

public static class PageComponents
{
    public static readonly string[] Jokes =
    [
        "Why did the developer go broke? Because he used up all his cache.",
        "I told my computer a joke about UDP. I am not sure it got it.",
        "Why do programmers prefer dark mode? Because light attracts bugs.",
        "There are 10 kinds of people: those who know binary and those who do not.",
        "Why was the math book sad? It had too many problems.",
        "What do you call a fake noodle? An impasta.",
        "Why did the scarecrow win a prize? He was outstanding in his field.",
        "I would tell you a UDP joke, but you might not get it.",
        "Why did the function stop calling? It had too many arguments.",
        "How do trees get online? They log in.",
        "Why did the bicycle fall over? It was two tired.",
        "What is a computer's favourite snack? Microchips.",
    ];

    public static readonly string[] Colors = ["#ffadad", "#ffd6a5", "#fdffb6", "#caffbf", "#9bf6ff", "#a0c4ff", "#bdb2ff", "#ffc6ff"];

    private static Ids Fixed(params (string, string)[] ids) => new(ids.ToDictionary(x => x.Item1, x => x.Item2), false);

    private static Func<Random, Ids> Choose(params (string Key, string[] Options)[] slots) => r =>
        r.Next(2) == 0 ? new(slots.ToDictionary(s => s.Key, s => s.Options[0]), false) : new(slots.ToDictionary(s => s.Key, s => s.Options[r.Next(s.Options.Length)]), true);

    private static string JokeList(int count) => string.Join(",\n", Jokes.Take(count).Select(j => $"  \"{j}\""));

    private static string ColorList => string.Join(", ", Colors.Select(c => $"\"{c}\""));

    public static readonly PageComponent Joke = new("joke",
        ["a button that tells a joke", "a joke button: every click shows a random joke", "a button that shows a random joke when clicked", "a \"Tell me a joke\" button"],
        ids => $"<button id=\"{ids["button"]}\">Tell me a joke</button>\n<p id=\"{ids["text"]}\"></p>",
        ids => $"#{ids["text"]} {{ font-size: 1.2em; min-height: 2em; }}",
        ids => $$"""
            const jokes = [
            {{JokeList(6)}}
            ];
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              const joke = jokes[Math.floor(Math.random() * jokes.length)];
              document.getElementById("{{ids["text"]}}").textContent = joke;
            });
            """,
        ids => $$"""
            test("a click shows a joke", async () => {
              await click("#{{ids["button"]}}");
              assert(text("#{{ids["text"]}}").trim().length > 10, "a joke appears");
            });
            """,
        ["button", "text"], Choose(("button", ["joke-button", "jokeBtn", "tell", "joke-btn"]), ("text", ["joke", "joke-text", "output", "punchline"])));

    public static readonly PageComponent Color = new("color",
        ["a button that changes the background colour", "a button that changes the background color", "a colour button: each click gives the page a new background colour"],
        ids => $"<button id=\"{ids["button"]}\">Change colour</button>",
        _ => "",
        ids => $$"""
            const colors = [{{ColorList}}];
            let colorIndex = 0;
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              colorIndex = (colorIndex + 1) % colors.length;
              document.body.style.backgroundColor = colors[colorIndex];
            });
            """,
        ids => $$"""
            test("clicks change the background colour", async () => {
              const seen = new Set([style("body", "background-color")]);
              for (let i = 0; i < 3; i++) { await click("#{{ids["button"]}}"); seen.add(style("body", "background-color")); }
              assert(seen.size >= 3, "the background colour changes on each click");
            });
            """,
        ["button"], Choose(("button", ["color-button", "colorBtn", "change-color", "bg-button"])));

    public static readonly PageComponent JokeAndColor = new("joke_color",
        ["a joke button that changes the background colour", "a button that tells a joke and changes the background colour",
         "a button that shows a random joke and gives the page a new background colour on every click", "a joke button that also changes the background color"],
        ids => $"<button id=\"{ids["button"]}\">Tell me a joke</button>\n<p id=\"{ids["text"]}\"></p>",
        ids => $"#{ids["text"]} {{ font-size: 1.2em; min-height: 2em; }}",
        ids => $$"""
            const jokes = [
            {{JokeList(6)}}
            ];
            const colors = [{{ColorList}}];
            let colorIndex = 0;
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              const joke = jokes[Math.floor(Math.random() * jokes.length)];
              document.getElementById("{{ids["text"]}}").textContent = joke;
              colorIndex = (colorIndex + 1) % colors.length;
              document.body.style.backgroundColor = colors[colorIndex];
            });
            """,
        ids => $$"""
            test("a click shows a joke", async () => {
              await click("#{{ids["button"]}}");
              assert(text("#{{ids["text"]}}").trim().length > 10, "a joke appears");
            });
            test("clicks change the background colour", async () => {
              const seen = new Set([style("body", "background-color")]);
              for (let i = 0; i < 3; i++) { await click("#{{ids["button"]}}"); seen.add(style("body", "background-color")); }
              assert(seen.size >= 3, "the background colour changes on each click");
            });
            """,
        ["button", "text"], Choose(("button", ["joke-button", "jokeBtn", "tell", "joke-btn"]), ("text", ["joke", "joke-text", "output", "punchline"])));

    public static readonly PageComponent Counter = new("counter",
        ["a counter with + and - buttons and a reset button", "a click counter: a number with buttons to add one, subtract one and reset it to 0",
         "a counter that starts at 0, with increase, decrease and reset buttons"],
        ids => $"<p id=\"{ids["count"]}\">0</p>\n<button id=\"{ids["inc"]}\">+</button>\n<button id=\"{ids["dec"]}\">-</button>\n<button id=\"{ids["reset"]}\">Reset</button>",
        ids => $"#{ids["count"]} {{ font-size: 2em; }}",
        ids => $$"""
            let count = 0;
            const countEl = document.getElementById("{{ids["count"]}}");
            function show() {
              countEl.textContent = count;
            }
            document.getElementById("{{ids["inc"]}}").addEventListener("click", () => { count++; show(); });
            document.getElementById("{{ids["dec"]}}").addEventListener("click", () => { count--; show(); });
            document.getElementById("{{ids["reset"]}}").addEventListener("click", () => { count = 0; show(); });
            """,
        ids => $$"""
            test("the counter counts", async () => {
              for (let i = 0; i < 3; i++) await click("#{{ids["inc"]}}");
              assertEqual(text("#{{ids["count"]}}").trim(), "3", "three clicks on +");
              await click("#{{ids["dec"]}}");
              assertEqual(text("#{{ids["count"]}}").trim(), "2", "one click on -");
              await click("#{{ids["reset"]}}");
              assertEqual(text("#{{ids["count"]}}").trim(), "0", "reset");
            });
            """,
        ["count", "inc", "dec", "reset"],
        Choose(("count", ["count", "counter", "value"]), ("inc", ["inc", "plus", "up"]), ("dec", ["dec", "minus", "down"]), ("reset", ["reset", "clear", "zero"])));

    public static readonly PageComponent Stopwatch = new("stopwatch",
        ["a stopwatch with start and stop buttons that shows the seconds with one decimal", "a timer that counts up in tenths of a second, with start and stop buttons"],
        ids => $"<p id=\"{ids["time"]}\">0.0</p>\n<button id=\"{ids["start"]}\">Start</button>\n<button id=\"{ids["stop"]}\">Stop</button>",
        ids => $"#{ids["time"]} {{ font-size: 2em; font-family: monospace; }}",
        ids => $$"""
            let tenths = 0;
            let timer = null;
            const timeEl = document.getElementById("{{ids["time"]}}");
            document.getElementById("{{ids["start"]}}").addEventListener("click", () => {
              if (timer !== null) return;
              timer = setInterval(() => {
                tenths++;
                timeEl.textContent = (tenths / 10).toFixed(1);
              }, 100);
            });
            document.getElementById("{{ids["stop"]}}").addEventListener("click", () => {
              clearInterval(timer);
              timer = null;
            });
            """,
        ids => $$"""
            test("the stopwatch runs and stops", async () => {
              await click("#{{ids["start"]}}");
              await sleep(700);
              await click("#{{ids["stop"]}}");
              const stopped = parseFloat(text("#{{ids["time"]}}"));
              assert(stopped >= 0.3, "it counted while running");
              await sleep(400);
              assertEqual(parseFloat(text("#{{ids["time"]}}")), stopped, "it stays still after stop");
            });
            """,
        ["time", "start", "stop"], Choose(("time", ["time", "elapsed", "display"]), ("start", ["start", "go", "start-button"]), ("stop", ["stop", "pause", "stop-button"])));

    public static readonly PageComponent FallingLetters = new("falling_letters",
        ["letters falling under gravity", "a canvas animation of letters falling under gravity", "a canvas where random letters fall down with gravity and bounce at the bottom"],
        ids => $"<canvas id=\"{ids["canvas"]}\" width=\"480\" height=\"320\"></canvas>",
        ids => $"#{ids["canvas"]} {{ background: #111; }}",
        ids => $$"""
            const canvas = document.getElementById("{{ids["canvas"]}}");
            const ctx = canvas.getContext("2d");
            const letters = [];
            function spawn() {
              letters.push({ ch: String.fromCharCode(65 + Math.floor(Math.random() * 26)), x: Math.random() * canvas.width, y: 0, vy: 0 });
            }
            function frame() {
              if (Math.random() < 0.2) spawn();
              ctx.fillStyle = "#111";
              ctx.fillRect(0, 0, canvas.width, canvas.height);
              ctx.fillStyle = "#7CFC00";
              ctx.font = "24px monospace";
              for (const letter of letters) {
                letter.vy += 0.3;
                letter.y += letter.vy;
                if (letter.y > canvas.height) {
                  letter.y = canvas.height;
                  letter.vy = -letter.vy * 0.6;
                }
                ctx.fillText(letter.ch, letter.x, letter.y);
              }
              if (letters.length > 80) letters.shift();
              requestAnimationFrame(frame);
            }
            frame();
            """,
        ids => $$"""
            test("letters move on the canvas", async () => {
              const canvas = $("#{{ids["canvas"]}}");
              await sleep(400);
              const first = canvas.toDataURL();
              await sleep(300);
              assert(canvas.toDataURL() !== first, "the canvas changes between frames");
            });
            """,
        ["canvas"], Choose(("canvas", ["canvas", "rain", "sky", "stage"])));

    public static readonly PageComponent BouncingBall = new("bouncing_ball",
        ["a ball bouncing around a canvas", "a canvas animation of a ball that bounces off the edges"],
        ids => $"<canvas id=\"{ids["canvas"]}\" width=\"400\" height=\"300\"></canvas>",
        ids => $"#{ids["canvas"]} {{ border: 1px solid #333; }}",
        ids => $$"""
            const canvas = document.getElementById("{{ids["canvas"]}}");
            const ctx = canvas.getContext("2d");
            const ball = { x: 50, y: 50, vx: 3, vy: 2, r: 15 };
            function frame() {
              ball.x += ball.vx;
              ball.y += ball.vy;
              if (ball.x < ball.r || ball.x > canvas.width - ball.r) ball.vx = -ball.vx;
              if (ball.y < ball.r || ball.y > canvas.height - ball.r) ball.vy = -ball.vy;
              ctx.clearRect(0, 0, canvas.width, canvas.height);
              ctx.beginPath();
              ctx.arc(ball.x, ball.y, ball.r, 0, Math.PI * 2);
              ctx.fillStyle = "tomato";
              ctx.fill();
              requestAnimationFrame(frame);
            }
            frame();
            """,
        ids => $$"""
            test("the ball moves", async () => {
              const canvas = $("#{{ids["canvas"]}}");
              await sleep(200);
              const first = canvas.toDataURL();
              await sleep(300);
              assert(canvas.toDataURL() !== first, "the canvas changes between frames");
            });
            """,
        ["canvas"], Choose(("canvas", ["canvas", "board", "field"])));

    public static readonly PageComponent TodoList = new("todo",
        ["a to-do list: a text box and an Add button that appends the text to a list", "a list where typing an item and clicking Add adds it to the list"],
        ids => $"<input id=\"{ids["input"]}\" placeholder=\"New item\">\n<button id=\"{ids["add"]}\">Add</button>\n<ul id=\"{ids["list"]}\"></ul>",
        _ => "",
        ids => $$"""
            document.getElementById("{{ids["add"]}}").addEventListener("click", () => {
              const input = document.getElementById("{{ids["input"]}}");
              const value = input.value.trim();
              if (value === "") return;
              const li = document.createElement("li");
              li.textContent = value;
              document.getElementById("{{ids["list"]}}").appendChild(li);
              input.value = "";
            });
            """,
        ids => $$"""
            test("added items appear in the list", async () => {
              $("#{{ids["input"]}}").value = "buy milk";
              await click("#{{ids["add"]}}");
              $("#{{ids["input"]}}").value = "write code";
              await click("#{{ids["add"]}}");
              const items = all("#{{ids["list"]}} li").map(li => li.textContent.trim());
              assertEqual(items.join("|"), "buy milk|write code", "both items are listed in order");
            });
            """,
        ["input", "add", "list"], Choose(("input", ["item", "todo-input", "new-item"]), ("add", ["add", "add-button", "addBtn"]), ("list", ["list", "todos", "items"])));

    public static readonly PageComponent Greeting = new("greeting",
        ["a name field and a button that greets the person by name (\"Hello, NAME!\")", "a text box for a name and a Greet button that shows \"Hello, NAME!\""],
        ids => $"<input id=\"{ids["input"]}\" placeholder=\"Your name\">\n<button id=\"{ids["button"]}\">Greet</button>\n<p id=\"{ids["output"]}\"></p>",
        _ => "",
        ids => $$"""
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              const name = document.getElementById("{{ids["input"]}}").value.trim();
              document.getElementById("{{ids["output"]}}").textContent = "Hello, " + name + "!";
            });
            """,
        ids => $$"""
            test("the button greets by name", async () => {
              $("#{{ids["input"]}}").value = "Ada";
              await click("#{{ids["button"]}}");
              assertEqual(text("#{{ids["output"]}}").trim(), "Hello, Ada!", "the greeting");
            });
            """,
        ["input", "button", "output"], Choose(("input", ["name", "name-input", "who"]), ("button", ["greet", "greet-button", "hello"]), ("output", ["greeting", "message", "result"])));

    public static readonly PageComponent Toggle = new("toggle",
        ["a button that shows and hides a paragraph of text", "a toggle button that hides the message when it is shown and shows it when it is hidden"],
        ids => $"<button id=\"{ids["button"]}\">Toggle</button>\n<p id=\"{ids["text"]}\">Now you see me.</p>",
        _ => "",
        ids => $$"""
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              const p = document.getElementById("{{ids["text"]}}");
              p.style.display = p.style.display === "none" ? "block" : "none";
            });
            """,
        ids => $$"""
            test("the button toggles the text", async () => {
              await click("#{{ids["button"]}}");
              assertEqual(style("#{{ids["text"]}}", "display"), "none", "hidden after one click");
              await click("#{{ids["button"]}}");
              assert(style("#{{ids["text"]}}", "display") !== "none", "shown after two clicks");
            });
            """,
        ["button", "text"], Choose(("button", ["toggle", "toggle-button", "show-hide"]), ("text", ["message", "secret", "details"])));

    public static readonly PageComponent Clock = new("clock",
        ["a clock that shows the current time and updates every second", "the current time, updated every second"],
        ids => $"<p id=\"{ids["clock"]}\"></p>",
        ids => $"#{ids["clock"]} {{ font-size: 2em; font-family: monospace; }}",
        ids => $$"""
            function tick() {
              document.getElementById("{{ids["clock"]}}").textContent = new Date().toLocaleTimeString();
            }
            setInterval(tick, 1000);
            tick();
            """,
        ids => $$"""
            test("the clock shows the time", async () => {
              assert(/\d{1,2}:\d{2}/.test(text("#{{ids["clock"]}}")), "a time like 12:34");
            });
            """,
        ["clock"], Choose(("clock", ["clock", "time", "now"])));

    public static readonly PageComponent Dice = new("dice",
        ["a button that rolls a die and shows a number from 1 to 6", "a dice roller: a Roll button and the result (1 to 6)"],
        ids => $"<button id=\"{ids["button"]}\">Roll</button>\n<p id=\"{ids["result"]}\"></p>",
        ids => $"#{ids["result"]} {{ font-size: 3em; }}",
        ids => $$"""
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              const roll = Math.floor(Math.random() * 6) + 1;
              document.getElementById("{{ids["result"]}}").textContent = roll;
            });
            """,
        ids => $$"""
            test("rolls are between 1 and 6", async () => {
              const seen = new Set();
              for (let i = 0; i < 12; i++) {
                await click("#{{ids["button"]}}");
                const n = Number(text("#{{ids["result"]}}"));
                assert(n >= 1 && n <= 6 && Number.isInteger(n), "a whole number from 1 to 6");
                seen.add(n);
              }
              assert(seen.size >= 2, "rolls vary");
            });
            """,
        ["button", "result"], Choose(("button", ["roll", "roll-button", "dice"]), ("result", ["result", "die", "face"])));

    public static readonly PageComponent CharCount = new("char_count",
        ["a text area with a live count of its characters", "a character counter under a text box that updates as you type"],
        ids => $"<textarea id=\"{ids["input"]}\"></textarea>\n<p id=\"{ids["count"]}\">0 characters</p>",
        _ => "",
        ids => $$"""
            document.getElementById("{{ids["input"]}}").addEventListener("input", (event) => {
              document.getElementById("{{ids["count"]}}").textContent = event.target.value.length + " characters";
            });
            """,
        ids => $$"""
            test("the count follows the text", async () => {
              const box = $("#{{ids["input"]}}");
              box.value = "hello";
              box.dispatchEvent(new Event("input"));
              assertEqual(text("#{{ids["count"]}}").trim(), "5 characters", "five characters typed");
            });
            """,
        ["input", "count"], Choose(("input", ["text", "message", "input"]), ("count", ["chars", "char-count", "length"])));

    public static readonly PageComponent HeadingColor = new("heading_color",
        ["a button that changes the colour of the heading", "a button that turns the title a new colour on every click"],
        ids => $"<button id=\"{ids["button"]}\">Recolour title</button>",
        _ => "",
        ids => $$"""
            const headingColors = ["crimson", "teal", "darkorange", "purple"];
            let headingIndex = 0;
            document.getElementById("{{ids["button"]}}").addEventListener("click", () => {
              headingIndex = (headingIndex + 1) % headingColors.length;
              document.querySelector("h1").style.color = headingColors[headingIndex];
            });
            """,
        ids => $$"""
            test("the heading changes colour", async () => {
              const before = style("h1", "color");
              await click("#{{ids["button"]}}");
              assert(style("h1", "color") !== before, "the heading colour changed");
            });
            """,
        ["button"], Choose(("button", ["recolor", "title-color", "paint"])));

    public static readonly PageComponent[] All = [Joke, Color, JokeAndColor, Counter, Stopwatch, FallingLetters, BouncingBall, TodoList, Greeting, Toggle, Clock, Dice, CharCount, HeadingColor];
}
