using System.Globalization;

namespace Mercury.AI.Training.Corpus.Tools;

/// <summary>
/// Tools made up at corpus time (an action on a thing with parameters from a pool, or a lookup of a property of one or
/// two values), so that tool calls can only be learned by reading the declarations: with the 20 catalog functions
/// alone, a model learns their names by heart and ignores the tools block, so it cannot call a function it has never
/// seen (the held-out catalog tools).
/// Requests name the action, the thing and every argument value; the distractors declared beside the target share
/// its action or its thing, so a call must match both. Held-out catalog names are never generated.
/// </summary>
public static class SyntheticTools
{
    private sealed record Action(string Verb, string Describes, string Done, string[] Asks);

    private sealed record Thing(string Noun, string Plugin, string Key);

    private sealed record Param(string Name, bool IsInteger, string Description, Func<Random, string> Draw, string Phrase);

    // {0}: the thing, {1}: its arguments in words.
    private static readonly Action[] Actions =
    [
        new("get", "Gets", "found", ["Get the {0} {1}.", "Show me the {0} {1}.", "Can you get the {0} {1}?"]),
        new("cancel", "Cancels", "cancelled", ["Cancel the {0} {1}.", "Please cancel the {0} {1}.", "I need to cancel the {0} {1}."]),
        new("create", "Creates", "created", ["Create a {0} {1}.", "Make a new {0} {1}.", "Please create a {0} {1}."]),
        new("delete", "Deletes", "deleted", ["Delete the {0} {1}.", "Remove the {0} {1}.", "Please delete the {0} {1}."]),
        new("update", "Updates", "updated", ["Update the {0} {1}.", "Change the {0} {1}.", "Please update the {0} {1}."]),
        new("list", "Lists", "listed", ["List the {0}s {1}.", "Which {0}s are there {1}?", "Show all {0}s {1}."]),
        new("count", "Counts", "counted", ["How many {0}s are there {1}?", "Count the {0}s {1}.", "Give me the number of {0}s {1}."]),
        new("archive", "Archives", "archived", ["Archive the {0} {1}.", "Please archive the {0} {1}.", "Move the {0} {1} to the archive."]),
        new("share", "Shares", "shared", ["Share the {0} {1}.", "Please share the {0} {1}.", "Can you share the {0} {1}?"]),
        new("track", "Tracks", "tracked", ["Track the {0} {1}.", "Where is the {0} {1}?", "Follow the {0} {1} for me."]),
        new("restart", "Restarts", "restarted", ["Restart the {0} {1}.", "Please restart the {0} {1}.", "Reboot the {0} {1}."]),
        new("rename", "Renames", "renamed", ["Rename the {0} {1}.", "Give the {0} {1} a new name.", "Please rename the {0} {1}."]),
        new("rate", "Rates", "rated", ["Rate the {0} {1}.", "Give the {0} {1} a rating.", "Please rate the {0} {1}."]),
        new("export", "Exports", "exported", ["Export the {0} {1}.", "Download the {0} {1}.", "Please export the {0} {1}."]),
        new("check", "Checks the status of", "checked", ["Check the {0} {1}.", "What is the status of the {0} {1}?", "Is the {0} {1} ok?"]),
        new("approve", "Approves", "approved", ["Approve the {0} {1}.", "Please approve the {0} {1}.", "Sign off the {0} {1}."]),
    ];

    private static readonly Thing[] Things =
    [
        new("order", "Orders", "order"), new("invoice", "Billing", "invoice"), new("ticket", "Support", "ticket"), new("package", "Shipping", "package"),
        new("meeting", "Meetings", "meeting"), new("playlist", "Playlists", "playlist"), new("recipe", "Recipes", "recipe"), new("flight", "Flights", "flight"),
        new("hotel room", "Hotels", "room"), new("contact", "Contacts", "contact"), new("note", "Notes", "note"), new("task", "Tasks", "task"),
        new("account", "Accounts", "account"), new("repository", "Repos", "repo"), new("branch", "Branches", "branch"), new("build", "Builds", "build"),
        new("server", "Servers", "server"), new("container", "Containers", "container"), new("database", "Databases", "database"), new("report", "Reports", "report"),
        new("product", "Products", "product"), new("coupon", "Coupons", "coupon"), new("review", "Reviews", "review"), new("photo", "Photos", "photo"),
        new("album", "Albums", "album"), new("device", "Devices", "device"), new("sensor", "Sensors", "sensor"), new("vehicle", "Fleet", "vehicle"),
        new("course", "Courses", "course"), new("student", "Students", "student"), new("book", "Library", "book"), new("movie", "Movies", "movie"),
        new("podcast", "Podcasts", "podcast"), new("channel", "Channels", "channel"), new("message", "Messages", "message"), new("post", "Posts", "post"),
        new("subscription", "Subscriptions", "subscription"), new("warehouse", "Warehouses", "warehouse"), new("shift", "Shifts", "shift"), new("budget", "Budgets", "budget"),
    ];

    private static string Pick(Random r, params string[] values) => values[r.Next(values.Length)];

    private static string Number(Random r, int low, int high) => r.Next(low, high).ToString(CultureInfo.InvariantCulture);

    // {0}: the value. The first parameter of a tool is often its thing's id ({key}_id), the rest come from this pool.
    private static readonly Param[] Pool =
    [
        new("name", false, "The name", r => Pick(r, "Nova", "Atlas", "Quartz", "Maple", "Orion", "Pixel", "Willow", "Cobalt", "Ember", "Juniper"), "named \"{0}\""),
        new("owner", false, "Who owns it", r => Pick(r, "ana", "ben", "chloe", "dmitri", "eve", "farah", "gus", "hana"), "owned by {0}"),
        new("email", false, "Email address", r => Pick(r, "kim@example.com", "lee@example.org", "ops@example.net", "jo@example.com", "max@example.io"), "for {0}"),
        new("city", false, "The city", r => Pick(r, "Quito", "Dublin", "Hanoi", "Accra", "Porto", "Vienna", "Denver", "Mumbai"), "in {0}"),
        new("date", false, "The date", r => $"2027-{r.Next(1, 13):00}-{r.Next(1, 29):00}", "on {0}"),
        new("priority", false, "Priority: low, normal or high", r => Pick(r, "low", "normal", "high"), "with {0} priority"),
        new("status", false, "The new status", r => Pick(r, "open", "closed", "paused", "active", "done"), "to status {0}"),
        new("tag", false, "A tag", r => Pick(r, "urgent", "draft", "q3", "beta", "legacy", "vip"), "tagged {0}"),
        new("color", false, "A colour", r => Pick(r, "red", "teal", "amber", "violet", "black", "green"), "in {0}"),
        new("reason", false, "Why", r => Pick(r, "duplicate", "too late", "wrong size", "no longer needed", "moved"), "because of \"{0}\""),
        new("region", false, "The region", r => Pick(r, "eu-west", "us-east", "ap-south", "sa-east"), "in region {0}"),
        new("language", false, "Language code", r => Pick(r, "en", "fr", "de", "es", "pt", "ja"), "in language {0}"),
        new("quantity", true, "How many", r => Number(r, 1, 50), "with quantity {0}"),
        new("limit", true, "At most this many", r => Number(r, 2, 30), "limited to {0}"),
        new("days", true, "Number of days", r => Number(r, 1, 60), "for {0} days"),
        new("amount", true, "Amount in cents", r => Number(r, 100, 99_999), "for an amount of {0}"),
        new("rating", true, "Stars from 1 to 5", r => Number(r, 1, 6), "with {0} stars"),
        new("year", true, "The year", r => Number(r, 2015, 2028), "from {0}"),
        new("version", true, "Version number", r => Number(r, 1, 40), "at version {0}"),
        new("page", true, "Page number", r => Number(r, 1, 20), "on page {0}"),
    ];

    private static Param IdOf(Thing thing) =>
        new($"{thing.Key}_id", true, $"The {thing.Noun} id", r => Number(r, 100, 100_000), "{0}");

    private static string Article(string noun) => "aeiou".Contains(noun[0]) ? "an" : "a";

    private static string Snake(string words) => words.ToLowerInvariant().Replace(' ', '_');

    private static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    /// <summary>A tool for <paramref name="action"/> on <paramref name="thing"/> with one to three parameters.</summary>
    private static ToolSpec Make(Action action, Thing thing, Random r)
    {
        var parameters = new List<Param>();
        if (action.Verb is not ("create" or "list" or "count")) parameters.Add(IdOf(thing));
        foreach (var p in Pool.OrderBy(_ => r.Next()).Take(r.Next(parameters.Count == 0 ? 1 : 0, 3)))
            parameters.Add(p);
        string name = $"{action.Verb}_{Snake(thing.Noun)}{(action.Verb is "list" or "count" ? "s" : "")}";
        var values = parameters.ToDictionary(p => p.Name, p => Enumerable.Range(0, 6).Select(_ => p.Draw(r)).Distinct().ToArray());
        // The request: the action's phrasing, the thing, then each argument in words (the id right after the thing).
        string words = string.Join(" ", parameters.Select(p => string.Format(CultureInfo.InvariantCulture, p.Phrase, "{" + p.Name + "}")));
        var requests = action.Asks.Select(a => string.Format(CultureInfo.InvariantCulture, a, thing.Noun, words)
            .Replace($" a {thing.Noun}", $" {Article(thing.Noun)} {thing.Noun}", StringComparison.Ordinal)).ToArray();
        string description = $"{action.Describes} {(action.Verb is "list" or "count" ? thing.Noun + "s" : Article(thing.Noun) + " " + thing.Noun)}.";
        string done = action.Done;
        string noun = thing.Noun;
        return new ToolSpec(name, thing.Plugin, Pascal(name), description, null, values, requests,
            ["Done: {result}.", "{result}.", $"The {noun} is {done}: {{result}}.", "Here you go: {result}."])
        {
            Declared = [.. parameters.Select(p => new ToolParameter(p.Name, p.IsInteger, p.Description))],
            Body = arguments => $"{noun} {done} ({string.Join(", ", arguments.Select(a => $"{a.Key}={a.Value}"))})",
        };
    }

    // Lookups: a property of an entity, or of a pair of them (most tools apps declare are lookups).
    private sealed record Entity(string Noun, string Param, string Plugin, string[] Values, string[] Properties);

    private static readonly Entity[] Entities =
    [
        new("country", "country", "Countries", ["Chile", "Ghana", "Vietnam", "Austria", "Iceland", "Morocco", "Nepal", "Uruguay"], ["capital", "currency", "area", "official language", "calling code"]),
        new("city", "city", "Cities", ["Quito", "Dublin", "Hanoi", "Accra", "Porto", "Vienna", "Denver", "Mumbai"], ["elevation", "mayor", "time zone", "postcode", "founding year"]),
        new("book", "title", "Books", ["Dune", "Emma", "Beloved", "Ulysses", "Matilda", "Hamlet"], ["author", "publication year", "page count", "genre"]),
        new("movie", "movie", "Films", ["Alien", "Heat", "Up", "Jaws", "Arrival", "Amelie"], ["director", "runtime", "release year", "rating"]),
        new("company", "company", "Companies", ["Contoso", "Fabrikam", "Northwind", "Litware", "Tailspin"], ["CEO", "headquarters", "revenue", "employee count"]),
        new("mountain", "mountain", "Mountains", ["Denali", "Elbrus", "Kilimanjaro", "Aconcagua", "Fuji"], ["height", "first ascent", "range"]),
        new("planet", "planet", "Planets", ["Mars", "Venus", "Jupiter", "Saturn", "Neptune"], ["mass", "moon count", "day length", "distance from the sun"]),
        new("element", "element", "Chemistry", ["oxygen", "carbon", "iron", "neon", "gold", "sodium"], ["atomic number", "symbol", "melting point"]),
        new("animal", "animal", "Animals", ["otter", "falcon", "koala", "lynx", "heron", "bison"], ["lifespan", "diet", "top speed", "habitat"]),
    ];

    // A relation between two values of one entity: parameter names, words between them in requests.
    private static readonly (string Property, string Entity, string First, string Second, string Plugin)[] Relations =
    [
        ("travel time", "city", "from_city", "to_city", "Travel"), ("time difference", "city", "first_city", "second_city", "Clocks"),
        ("exchange rate", "country", "base_country", "quote_country", "Rates"), ("flight count", "city", "start", "end", "Airlines"),
        ("trade volume", "country", "exporter", "importer", "Trade"),
    ];

    private static ToolSpec Lookup(Entity entity, string property, Random r)
    {
        string name = r.Next(3) switch { 0 => $"get_{Snake(property)}", 1 => $"get_{entity.Noun}_{Snake(property)}", _ => $"lookup_{Snake(property)}" };
        string value = "{" + entity.Param + "}";
        string[] requests = [$"What is the {property} of {value}?", $"Tell me the {property} of {value}.", $"Look up the {property} of {value}.", $"I'd like to know the {property} of {value}."];
        return new ToolSpec(name, entity.Plugin, Pascal(name), $"Gets the {property} of {Article(entity.Noun)} {entity.Noun}.", null,
            new Dictionary<string, string[]> { [entity.Param] = entity.Values }, requests, ["{result}.", $"The {property} of {value} is {{result}}.", "Here you go: {result}."])
        {
            Declared = [new ToolParameter(entity.Param, false, $"The {entity.Noun}")],
            Body = arguments => $"{property} of {arguments[entity.Param]}: {ToolCatalog.Hash(property + arguments[entity.Param]) % 9000 + 10}",
        };
    }

    private static ToolSpec Relation((string Property, string Entity, string First, string Second, string Plugin) relation)
    {
        var entity = Entities.Single(e => e.Noun == relation.Entity);
        var (property, _, first, second, plugin) = relation;
        string name = $"get_{Snake(property)}";
        string a = "{" + first + "}", b = "{" + second + "}";
        return new ToolSpec(name, plugin, Pascal(name), $"Gets the {property} between two {(entity.Noun == "city" ? "cities" : entity.Noun + "s")}.", null,
            new Dictionary<string, string[]> { [first] = entity.Values, [second] = entity.Values },
            [$"What is the {property} from {a} to {b}?", $"Tell me the {property} between {a} and {b}.", $"Look up the {property} from {a} to {b}."],
            ["{result}.", $"The {property} from {a} to {b} is {{result}}."])
        {
            Declared = [new ToolParameter(first, false, $"The first {entity.Noun}"), new ToolParameter(second, false, $"The second {entity.Noun}")],
            Body = arguments => $"{property} {arguments[first]} to {arguments[second]}: {ToolCatalog.Hash(property + arguments[first] + arguments[second]) % 900 + 10}",
        };
    }

    /// <summary>A lookup target and made-up distractors: other properties of its entity, or the same property elsewhere.</summary>
    private static List<ToolSpec> DrawLookups(Random r, int count)
    {
        if (r.Next(4) == 0)
        {
            var relations = Relations.OrderBy(_ => r.Next()).Take(count).Select(Relation).ToList();
            var entity = Entities[r.Next(Entities.Length)];
            relations.AddRange(entity.Properties.OrderBy(_ => r.Next()).Take(count - relations.Count).Select(p => Lookup(entity, p, r)));
            return relations;
        }
        var target = Entities[r.Next(Entities.Length)];
        var tools = target.Properties.OrderBy(_ => r.Next()).Take(1 + r.Next(count)).Select(p => Lookup(target, p, r)).ToList();
        while (tools.Count < count)
        {
            var other = Entities[r.Next(Entities.Length)];
            tools.Add(Lookup(other, other.Properties[r.Next(other.Properties.Length)], r));
        }
        return tools;
    }

    /// <summary>
    /// A target tool and <paramref name="declaredCount"/> - 1 distractors, shuffled: made-up tools that share its
    /// action or its thing (or, for lookups, its entity or property), and sometimes catalog functions (never the
    /// held-out ones).
    /// </summary>
    public static (ToolSpec Target, List<ToolSpec> Declared) Draw(Random r, int declaredCount, IReadOnlyList<ToolSpec> catalog)
    {
        if (r.Next(5) < 2)
        {
            var lookups = DrawLookups(r, declaredCount).DistinctBy(t => t.Name).ToList();
            var chosen = lookups[0];
            while (lookups.Count < declaredCount)
            {
                var extra = catalog[r.Next(catalog.Count)];
                if (lookups.All(l => l.Name != extra.Name)) lookups.Add(extra);
            }
            return (chosen, lookups.OrderBy(_ => r.Next()).ToList());
        }
        var action = Actions[r.Next(Actions.Length)];
        var thing = Things[r.Next(Things.Length)];
        var target = Make(action, thing, r);
        var declared = new List<ToolSpec> { target };
        for (int attempts = 0; declared.Count < declaredCount && attempts < 50; attempts++)
        {
            var other = r.Next(4) switch
            {
                0 => Make(action, Things[r.Next(Things.Length)], r),
                1 => Make(Actions[r.Next(Actions.Length)], thing, r),
                2 => Make(Actions[r.Next(Actions.Length)], Things[r.Next(Things.Length)], r),
                _ => catalog[r.Next(catalog.Count)],
            };
            if (declared.Any(d => d.Name == other.Name || d.Plugin == other.Plugin && d.SkName == other.SkName)) continue;
            declared.Add(other);
        }
        return (target, declared.OrderBy(_ => r.Next()).ToList());
    }
}
