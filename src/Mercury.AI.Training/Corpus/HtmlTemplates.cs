namespace Mercury.AI.Training.Corpus;

/// <summary>A single-file HTML/JS page task: instruction, page and the DOM checks it must pass.</summary>
public sealed record HtmlInstance(string TemplateId, string Instruction, string Page, IReadOnlyList<string> Checks, IReadOnlyList<string> RequiredSnippets);

/// <summary>A page template; <see cref="Draw"/> picks ids, labels, colours and constants.</summary>
public sealed record HtmlTemplate(string Id, Func<Random, HtmlInstance> Draw);

/// <summary>
/// Single-file pages. The checks are written as DOM checks for a browser runner; until that exists the evaluator
/// checks <see cref="HtmlInstance.RequiredSnippets"/> statically and that the script parses (<c>node --check</c>).
/// </summary>
public static class HtmlTemplates
{
    private static readonly string[] Colors = ["red", "orange", "gold", "green", "teal", "blue", "purple", "pink", "navy", "coral"];
    private static readonly string[] Jokes =
    [
        "Why do programmers mix up Halloween and Christmas? Oct 31 is Dec 25.",
        "I told my computer a joke. It did not get it.",
        "There are 10 kinds of people.",
        "A SQL query walks into a bar and joins two tables.",
        "Debugging is like being a detective in a crime movie where you are also the murderer.",
        "My code works and I do not know why.",
    ];
    private static readonly string[] Ids = ["btn", "button", "go", "action", "main", "play"];
    private static readonly string[] Titles = ["Fun Page", "Demo", "My Page", "Playground", "Toy"];

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    private static List<T> PickDistinct<T>(Random r, IReadOnlyList<T> items, int count)
    {
        var order = Enumerable.Range(0, items.Count).OrderBy(_ => r.Next()).Take(count).Order().ToList();
        return order.Select(i => items[i]).ToList();
    }

    private static string Quoted(IEnumerable<string> items) => string.Join(", ", items.Select(s => $"\"{s}\""));

    public static readonly HtmlTemplate[] Seen =
    [
        new("html.joke_button", r =>
        {
            string title = Pick(r, Titles), btn = Pick(r, Ids) + "Btn", output = Pick(r, ["joke", "output", "text"]);
            string label = Pick(r, ["Tell me a joke", "Joke!", "Make me laugh"]);
            var colors = PickDistinct(r, Colors, 3);
            var jokes = PickDistinct(r, Jokes, 2);
            string instruction = Pick(r, [
                $"Make a single-file HTML page titled \"{title}\" with a button (id `{btn}`, text \"{label}\") that shows a random joke in a paragraph with id `{output}` and changes the background colour to one of {string.Join(", ", colors)}. Jokes: {string.Join(" | ", jokes)}",
                $"Create one HTML file \"{title}\": clicking the button `{btn}` labelled \"{label}\" puts a random joke into `#{output}` and sets the page background to a random colour from {string.Join(", ", colors)}. Jokes: {string.Join(" | ", jokes)}",
            ]);
            string page = $$"""
                <!DOCTYPE html>
                <html>
                <head>
                <title>{{title}}</title>
                <style>body { font-family: sans-serif; text-align: center; padding: 40px; }</style>
                </head>
                <body>
                <button id="{{btn}}">{{label}}</button>
                <p id="{{output}}"></p>
                <script>
                const jokes = [{{Quoted(jokes)}}];
                const colors = [{{Quoted(colors)}}];
                document.getElementById("{{btn}}").addEventListener("click", () => {
                  document.getElementById("{{output}}").textContent = jokes[Math.floor(Math.random() * jokes.length)];
                  document.body.style.background = colors[Math.floor(Math.random() * colors.length)];
                });
                </script>
                </body>
                </html>
                """;
            return new HtmlInstance("html.joke_button", instruction, page,
                [$"document.title is \"{title}\"", $"#{btn} is a button with text \"{label}\"", $"after clicking #{btn}, #{output} shows one of the jokes",
                 $"after clicking #{btn}, document.body.style.background is one of {string.Join(", ", colors)}"],
                [$"<title>{title}</title>", $"id=\"{btn}\"", $">{label}<", $"id=\"{output}\"", "addEventListener(\"click\"", "Math.random()", "document.body.style.background", .. colors.Select(c => $"\"{c}\"")]);
        }),
        new("html.falling_letters", r =>
        {
            string title = Pick(r, ["Falling Letters", "Letter Rain", "Gravity Letters"]), canvas = Pick(r, ["canvas", "stage", "screen"]);
            string chars = Pick(r, ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "HELLO", "0123456789", "MERCURY"]);
            string gravity = Pick(r, ["0.1", "0.2", "0.3", "0.5"]);
            string bg = Pick(r, ["black", "white", "navy", "#222"]), fg = Pick(r, ["lime", "white", "gold", "red"]);
            int interval = Pick(r, [100, 200, 300, 500]);
            string instruction = Pick(r, [
                $"Make a single-file HTML page \"{title}\" where letters from \"{chars}\" fall from the top with gravity {gravity} and bounce at the bottom, drawn in {fg} on a {bg} canvas with id `{canvas}`; add a new letter every {interval} ms.",
                $"Create one HTML file titled \"{title}\": a full-window canvas `{canvas}` ({bg} background) where a random letter of \"{chars}\" appears every {interval} ms and falls with gravity {gravity}, drawn in {fg}, bouncing when it hits the bottom.",
            ]);
            string page = $$"""
                <!DOCTYPE html>
                <html>
                <head>
                <title>{{title}}</title>
                </head>
                <body style="margin: 0; background: {{bg}};">
                <canvas id="{{canvas}}"></canvas>
                <script>
                const canvas = document.getElementById("{{canvas}}");
                const ctx = canvas.getContext("2d");
                canvas.width = window.innerWidth;
                canvas.height = window.innerHeight;
                const gravity = {{gravity}};
                const chars = "{{chars}}";
                const letters = [];
                function spawn() {
                  letters.push({ ch: chars[Math.floor(Math.random() * chars.length)], x: Math.random() * canvas.width, y: 0, vy: 0 });
                }
                function update() {
                  ctx.clearRect(0, 0, canvas.width, canvas.height);
                  ctx.fillStyle = "{{fg}}";
                  ctx.font = "24px monospace";
                  for (const l of letters) {
                    l.vy += gravity;
                    l.y += l.vy;
                    if (l.y > canvas.height) {
                      l.y = canvas.height;
                      l.vy *= -0.5;
                    }
                    ctx.fillText(l.ch, l.x, l.y);
                  }
                  requestAnimationFrame(update);
                }
                setInterval(spawn, {{interval}});
                update();
                </script>
                </body>
                </html>
                """;
            return new HtmlInstance("html.falling_letters", instruction, page,
                [$"document.title is \"{title}\"", $"#{canvas} is a canvas filling the window", $"a letter of \"{chars}\" is added every {interval} ms",
                 $"letters accelerate downwards by {gravity} per frame and bounce at the bottom"],
                [$"<title>{title}</title>", $"id=\"{canvas}\"", $"const gravity = {gravity};", $"\"{chars}\"", $"setInterval(spawn, {interval})", "requestAnimationFrame", $"\"{fg}\""]);
        }),
        new("html.counter", r =>
        {
            string title = Pick(r, Titles), display = Pick(r, ["count", "value", "counter"]);
            string inc = Pick(r, ["plus", "inc", "up"]), dec = Pick(r, ["minus", "dec", "down"]);
            int start = r.Next(0, 11), step = r.Next(1, 6);
            string instruction = Pick(r, [
                $"Make a single-file HTML page \"{title}\" with a counter shown in `#{display}` that starts at {start}; the button `#{inc}` adds {step} and the button `#{dec}` subtracts {step}.",
                $"Create one HTML file titled \"{title}\": a number in the element `{display}` starting at {start}, a \"+\" button `{inc}` that increases it by {step} and a \"-\" button `{dec}` that decreases it by {step}.",
            ]);
            string page = $$"""
                <!DOCTYPE html>
                <html>
                <head>
                <title>{{title}}</title>
                </head>
                <body>
                <h1 id="{{display}}">{{start}}</h1>
                <button id="{{dec}}">-</button>
                <button id="{{inc}}">+</button>
                <script>
                let count = {{start}};
                const display = document.getElementById("{{display}}");
                document.getElementById("{{inc}}").addEventListener("click", () => {
                  count += {{step}};
                  display.textContent = count;
                });
                document.getElementById("{{dec}}").addEventListener("click", () => {
                  count -= {{step}};
                  display.textContent = count;
                });
                </script>
                </body>
                </html>
                """;
            return new HtmlInstance("html.counter", instruction, page,
                [$"#{display} shows {start} at load", $"clicking #{inc} adds {step} to #{display}", $"clicking #{dec} subtracts {step} from #{display}"],
                [$"<title>{title}</title>", $"id=\"{display}\"", $"id=\"{inc}\"", $"id=\"{dec}\"", $"let count = {start};", $"count += {step};", $"count -= {step};"]);
        }),
        new("html.theme_toggle", r =>
        {
            string title = Pick(r, Titles), btn = Pick(r, ["toggle", "theme", "switch"]);
            var pair = PickDistinct(r, Colors, 2);
            string instruction = Pick(r, [
                $"Make a single-file HTML page \"{title}\" with a button `#{btn}` that switches the page background between {pair[0]} and {pair[1]} on every click (starting with {pair[0]}).",
                $"Create one HTML file titled \"{title}\": the background starts {pair[0]}, and each click on the button `{btn}` toggles it between {pair[0]} and {pair[1]}.",
            ]);
            string page = $$"""
                <!DOCTYPE html>
                <html>
                <head>
                <title>{{title}}</title>
                </head>
                <body style="background: {{pair[0]}};">
                <button id="{{btn}}">Toggle</button>
                <script>
                let on = false;
                document.getElementById("{{btn}}").addEventListener("click", () => {
                  on = !on;
                  document.body.style.background = on ? "{{pair[1]}}" : "{{pair[0]}}";
                });
                </script>
                </body>
                </html>
                """;
            return new HtmlInstance("html.theme_toggle", instruction, page,
                [$"the background is {pair[0]} at load", $"clicking #{btn} once makes it {pair[1]}", $"clicking #{btn} again makes it {pair[0]}"],
                [$"<title>{title}</title>", $"id=\"{btn}\"", $"background: {pair[0]};", $"\"{pair[1]}\"", "addEventListener(\"click\"", "document.body.style.background"]);
        }),
    ];

    public static readonly HtmlTemplate[] Unseen =
    [
        new("html.clock", r =>
        {
            string title = Pick(r, Titles), display = Pick(r, ["clock", "time", "now"]);
            string instruction = $"Make a single-file HTML page \"{title}\" that shows the current time in `#{display}` and updates it every second.";
            string page = $$"""
                <!DOCTYPE html>
                <html>
                <head>
                <title>{{title}}</title>
                </head>
                <body>
                <h1 id="{{display}}"></h1>
                <script>
                function tick() {
                  document.getElementById("{{display}}").textContent = new Date().toLocaleTimeString();
                }
                setInterval(tick, 1000);
                tick();
                </script>
                </body>
                </html>
                """;
            return new HtmlInstance("html.clock", instruction, page,
                [$"#{display} shows the current time", $"#{display} changes every second"],
                [$"<title>{title}</title>", $"id=\"{display}\"", "setInterval(", "1000", "toLocaleTimeString"]);
        }),
    ];
}
