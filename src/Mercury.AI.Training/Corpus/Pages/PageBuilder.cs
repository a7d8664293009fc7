using System.Text;
using Mercury.AI.Agents.Runners;

namespace Mercury.AI.Training.Corpus.Pages;

/// <summary>A page task: the instruction, the page (the answer) and its browser tests.</summary>
public sealed record PageTask(string Composition, string Instruction, string Page, TestFile Tests);

/// <summary>Composes pages from <see cref="PageComponents"/>: one to three components under a title, one script.</summary>
public static class PageBuilder
{
    private static readonly string[] Titles = ["Fun Page", "My Page", "Playground", "Demo", "Joke Time", "Tiny App", "Hello", "Widgets", "Toys", "Daily Fun"];

    /// <summary>Components that cannot share a page (the same globals, or one contains the other).</summary>
    private static readonly string[][] Exclusive = [["falling_letters", "bouncing_ball"], ["joke_color", "joke"], ["joke_color", "color"]];

    public static IReadOnlyList<PageComponent> DrawComponents(Random r)
    {
        int count = r.Next(10) switch { < 5 => 1, < 9 => 2, _ => 3 };
        var chosen = new List<PageComponent>();
        foreach (var c in PageComponents.All.OrderBy(_ => r.Next()))
        {
            if (chosen.Count == count) break;
            if (chosen.Any(o => Exclusive.Any(e => e.Contains(o.Id) && e.Contains(c.Id)))) continue;
            chosen.Add(c);
        }
        return chosen;
    }

    public static string CompositionOf(IEnumerable<PageComponent> components) => "page|" + string.Join("+", components.Select(c => c.Id).Order(StringComparer.Ordinal));

    /// <summary>A task for <paramref name="components"/>; <paramref name="instruction"/> replaces the generated one (the demos' exact prompts).</summary>
    public static PageTask Make(IReadOnlyList<PageComponent> components, Random r, string? instruction = null, bool? nameIds = null)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var instances = new List<(PageComponent C, Ids Ids)>();
        foreach (var c in components)
        {
            Ids ids;
            int tries = 0;
            do ids = c.Draw!(r); while ((ids.Values.Values.Any(used.Contains) || (nameIds is { } n && ids.Named != n)) && ++tries < 50);
            if (nameIds == false && ids.Named) ids = ids with { Named = false, Values = c.IdKeys.ToDictionary(k => k, k => ids[k]) };
            foreach (var v in ids.Values.Values) used.Add(v);
            instances.Add((c, ids));
        }
        string? title = instruction is null && r.Next(2) == 0 ? Titles[r.Next(Titles.Length)] : null;
        instruction ??= Instruction(instances, title, r);
        string page = Page(title ?? DefaultTitle(instances), instances);
        string tests = string.Join("\n", instances.Select(i => i.C.Tests(i.Ids).TrimEnd())) + "\n";
        return new PageTask(CompositionOf(components), instruction, page, new TestFile("page.test.js", tests));
    }

    /// <summary>The title of an untitled page, from its first component (the model cannot know a random one).</summary>
    private static string DefaultTitle(List<(PageComponent C, Ids Ids)> instances) => instances[0].C.Id switch
    {
        "joke" or "joke_color" => "Joke Time",
        "falling_letters" => "Falling Letters",
        "bouncing_ball" => "Bouncing Ball",
        "counter" => "Counter",
        "stopwatch" => "Stopwatch",
        "todo" => "To-Do List",
        "clock" => "Clock",
        "dice" => "Dice",
        _ => "My Page",
    };

    private static string Instruction(List<(PageComponent C, Ids Ids)> instances, string? title, Random r)
    {
        var parts = instances.Select(i =>
        {
            string phrase = i.C.Phrases[r.Next(i.C.Phrases.Length)];
            if (!i.Ids.Named) return phrase;
            string ids = string.Join(", ", i.C.IdKeys.Select(k => $"{k} id \"{i.Ids[k]}\""));
            return $"{phrase} ({ids})";
        }).ToList();
        string list = parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + " and " + parts[^1];
        string titled = title is not null && r.Next(2) == 0 ? $" titled \"{title}\"" : "";
        string head = r.Next(6) switch
        {
            0 => $"Write a small HTML page{titled} with",
            1 => $"Make a web page{titled} with",
            2 => $"Create a single-file HTML page{titled} that has",
            3 => $"Build an HTML page{titled} with",
            4 => $"Write an HTML page{titled} containing",
            _ => $"I need a simple web page{titled} with",
        };
        string text = $"{head} {list}.";
        if (title is not null && titled.Length == 0) text += $" Title it \"{title}\".";
        if (r.Next(4) == 0) text += " Keep everything in one file, no external libraries.";
        return text;
    }

    private static string Page(string title, List<(PageComponent C, Ids Ids)> instances)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append($"<title>{title}</title>\n<style>\nbody {{ font-family: sans-serif; text-align: center; padding: 2em; }}\n");
        foreach (var (c, ids) in instances)
            if (c.Css(ids) is { Length: > 0 } css) sb.Append(css).Append('\n');
        sb.Append($"</style>\n</head>\n<body>\n<h1>{title}</h1>\n");
        foreach (var (c, ids) in instances) sb.Append(c.Html(ids)).Append('\n');
        sb.Append("<script>\n");
        sb.Append(string.Join("\n", instances.Select(i => i.C.Script(i.Ids).TrimEnd()))).Append('\n');
        sb.Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }
}
