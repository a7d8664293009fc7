using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mercury.AI.Training.Corpus;

/// <summary>Sizes and seed of a corpus build.</summary>
public sealed record CorpusOptions
{
    public int Seed { get; init; } = 1234;
    public int TrainCount { get; init; } = 30_000;
    public int HeldOutSeenCount { get; init; } = 400;
    public int UnseenCount { get; init; } = 200;
}

/// <summary>The three splits; the templates of <see cref="Unseen"/> never occur in <see cref="Train"/>.</summary>
public sealed record CodingCorpus(IReadOnlyList<CodingTask> Train, IReadOnlyList<CodingTask> HeldOutSeen, IReadOnlyList<CodingTask> Unseen)
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public const string TrainFile = "train.jsonl", HeldOutSeenFile = "heldout_seen.jsonl", UnseenFile = "unseen.jsonl";

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        Write(Path.Combine(folder, TrainFile), Train);
        Write(Path.Combine(folder, HeldOutSeenFile), HeldOutSeen);
        Write(Path.Combine(folder, UnseenFile), Unseen);
    }

    public static CodingCorpus Load(string folder) =>
        new(Read(Path.Combine(folder, TrainFile)), Read(Path.Combine(folder, HeldOutSeenFile)), Read(Path.Combine(folder, UnseenFile)));

    public static void Write(string path, IEnumerable<CodingTask> tasks) =>
        File.WriteAllLines(path, tasks.Select(t => JsonSerializer.Serialize(t, Json)));

    public static List<CodingTask> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<CodingTask>(l, Json)!).ToList();
}

/// <summary>
/// Builds the corpus deterministically from a seed. Held-out instances of seen templates are drawn first and their
/// instructions are excluded from training, so "held-out seen" means new combinations of names, phrasings and
/// constants the model never saw; "unseen" uses templates that training never touches.
/// </summary>
public static class CorpusBuilder
{
    /// <summary>Mix of the training set by kind (weights).</summary>
    private static readonly (TaskKind Kind, int Weight)[] TrainMix =
        [(TaskKind.Python, 40), (TaskKind.JavaScript, 22), (TaskKind.Html, 10), (TaskKind.Refinement, 16), (TaskKind.ToolCall, 12)];

    private static readonly (TaskKind Kind, int Weight)[] EvalMix =
        [(TaskKind.Python, 45), (TaskKind.JavaScript, 30), (TaskKind.Html, 12), (TaskKind.ToolCall, 13)];

    public static IEnumerable<string> SeenTemplateIds =>
        PythonTemplates.Seen.Select(t => t.Id).Concat(JavaScriptTemplates.Seen.Select(t => t.Id))
            .Concat(HtmlTemplates.Seen.Select(t => t.Id)).Concat(ToolCallTemplates.Seen.Select(t => t.Id));

    public static IEnumerable<string> UnseenTemplateIds =>
        PythonTemplates.Unseen.Select(t => t.Id).Concat(JavaScriptTemplates.Unseen.Select(t => t.Id)).Concat(HtmlTemplates.Unseen.Select(t => t.Id));

    public static CodingCorpus Build(CorpusOptions options)
    {
        var heldOut = Draw(new Random(options.Seed + 1), options.HeldOutSeenCount, EvalMix, seen: true, CorpusSplit.HeldOutSeen, exclude: null);
        var excluded = heldOut.Select(t => t.BaseInstruction ?? t.Instruction).ToHashSet(StringComparer.Ordinal);
        var train = Draw(new Random(options.Seed), options.TrainCount, TrainMix, seen: true, CorpusSplit.Train, excluded);
        var unseen = Draw(new Random(options.Seed + 2), options.UnseenCount,
            [(TaskKind.Python, 55), (TaskKind.JavaScript, 30), (TaskKind.Html, 15)], seen: false, CorpusSplit.Unseen, exclude: null);
        return new CodingCorpus(train, heldOut, unseen);
    }

    private static List<CodingTask> Draw(Random random, int count, (TaskKind Kind, int Weight)[] mix, bool seen, CorpusSplit split, HashSet<string>? exclude)
    {
        var tasks = new List<CodingTask>(count);
        var instructions = new HashSet<string>(StringComparer.Ordinal);
        int total = mix.Sum(m => m.Weight), attempts = 0;
        while (tasks.Count < count)
        {
            if (++attempts > count * 50) throw new InvalidOperationException($"Could not draw {count} distinct {split} tasks.");
            int roll = random.Next(total);
            var kind = mix.First(m => (roll -= m.Weight) < 0).Kind;
            var task = DrawOne(random, kind, seen) with { Split = split };
            string key = task.BaseInstruction ?? task.Instruction;
            if (exclude is not null && exclude.Contains(key)) continue;
            // Training repeats instructions (that is fine); evaluation sets hold distinct ones.
            if (split != CorpusSplit.Train && !instructions.Add(task.Instruction)) continue;
            tasks.Add(task with { Id = $"{split.ToString().ToLowerInvariant()}-{tasks.Count:D5}" });
        }
        return tasks;
    }

    private static CodingTask DrawOne(Random random, TaskKind kind, bool seen)
    {
        switch (kind)
        {
            case TaskKind.Python or TaskKind.JavaScript:
            {
                var pool = (kind, seen) switch
                {
                    (TaskKind.Python, true) => PythonTemplates.Seen,
                    (TaskKind.Python, false) => PythonTemplates.Unseen,
                    (_, true) => JavaScriptTemplates.Seen,
                    _ => JavaScriptTemplates.Unseen,
                };
                return FromFunction(FunctionTemplate.Pick(random, pool).Draw(random));
            }
            case TaskKind.Refinement:
            {
                var pool = random.Next(3) < 2 ? PythonTemplates.Seen : JavaScriptTemplates.Seen;
                var instance = FunctionTemplate.Pick(random, pool).Draw(random);
                var (broken, output) = Refinement.Break(instance, random);
                var baseTask = FromFunction(instance);
                return baseTask with
                {
                    Kind = TaskKind.Refinement,
                    Instruction = Refinement.Prompt(instance.Instruction, instance.Template.Language, broken, output),
                    BaseInstruction = instance.Instruction,
                };
            }
            case TaskKind.Html:
            {
                var page = FunctionTemplate.Pick(random, seen ? HtmlTemplates.Seen : HtmlTemplates.Unseen).Draw(random);
                return new CodingTask
                {
                    Id = "", TemplateId = page.TemplateId, Kind = TaskKind.Html, Language = "html", System = ChatFormat.CoderSystem,
                    Instruction = page.Instruction, Answer = ChatFormat.Fence("html", page.Page), Solution = page.Page,
                    Tests = "DOM checks:\n" + string.Join('\n', page.Checks.Select(c => "- " + c)), RequiredSnippets = page.RequiredSnippets,
                };
            }
            case TaskKind.ToolCall:
            {
                var template = FunctionTemplate.Pick(random, ToolCallTemplates.Seen);
                var (instruction, answer) = template.Draw(random);
                return new CodingTask
                {
                    Id = "", TemplateId = template.Id, Kind = TaskKind.ToolCall, Language = "json", System = ChatFormat.AgentSystem,
                    Instruction = instruction, Answer = answer, Solution = answer, Tests = answer,
                };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static CodingTask FromFunction(FunctionInstance instance) => new()
    {
        Id = "", TemplateId = instance.Template.Id, Kind = instance.Template.Kind, Language = instance.Template.Language,
        System = ChatFormat.CoderSystem, Instruction = instance.Instruction,
        Answer = ChatFormat.Fence(instance.Template.Language, instance.Solution), Solution = instance.Solution, Tests = instance.Tests(),
    };
}
