using System.Text.Json;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Chat;
using Mercury.AI.Chat.Templates;
using Mercury.AI.Training.Corpus.Pages;
using Mercury.AI.Training.Corpus.Programs;
using Mercury.AI.Training.Corpus.Tools;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Corpus;

/// <summary>Sizes and seed of a corpus build.</summary>
public sealed record CorpusOptions
{
    public int Seed { get; init; } = 1234;
    public int Functions { get; init; } = 40_000;
    public int Refinements { get; init; } = 4_000;
    public int Pages { get; init; } = 9_000;
    public int ToolInteractions { get; init; } = 6_000;
    /// <summary>Interactions with made-up tools (<see cref="SyntheticTools"/>), so calls are learned from the declarations.</summary>
    public int SyntheticToolInteractions { get; init; } = 6_000;
    /// <summary>Per kind of evaluation set (functions, pages, tools) and split.</summary>
    public int EvalFunctions { get; init; } = 300;
    public int EvalPages { get; init; } = 60;
    public int EvalTools { get; init; } = 100;
    /// <summary>Percent of compositions held out of training entirely.</summary>
    public int UnseenPercent { get; init; } = 12;
    /// <summary>Instructions training must not contain: another corpus's evaluation sets, when this one adds training data to it.</summary>
    public IReadOnlySet<string> ExcludeFromTraining { get; init; } = new HashSet<string>();
}

/// <summary>
/// Builds the corpus deterministically from a seed. Every prompt is rendered by the chat client's own code with the
/// recipe's system prompt and tool format; tool conversations are recorded from the real M.E.AI and Semantic Kernel
/// stacks; refinement turns carry real sandboxed test failures. Whole compositions (and tools) are held out.
/// </summary>
public sealed class CorpusBuilder(CorpusOptions options, TextWriter log)
{
    /// <summary>The playground's default prompt and the two demos users try first: always evaluated, never held out.</summary>
    public static readonly (string Instruction, string[] Components)[] Demos =
    [
        ("Write a small HTML page with a button that tells a joke.", ["joke"]),
        ("Write a small HTML page with a joke button that changes the background colour.", ["joke_color"]),
        ("Write a small HTML page with letters falling under gravity.", ["falling_letters"]),
    ];

    private static readonly string[] SystemVariants =
        ["You are a helpful assistant.", "You are an expert programmer.", "Answer with code only.", "You write clean, simple code.", "You are a coding assistant."];

    private static readonly string[] InstructionVariants = ["Keep it short.", "Use clear names.", "Reply with one code block.", "No explanations needed.", "Be precise."];

    private readonly ChatTemplate _template = ChatFormat.Template(ChatFormat.Recipe);

    public static bool IsUnseen(string composition, int percent) => Fnv(composition) % 100 < (ulong)percent;

    private static ulong Fnv(string s)
    {
        ulong h = 14695981039346656037;
        foreach (char c in s) h = (h ^ c) * 1099511628211;
        return h;
    }

    private bool Unseen(string composition) =>
        IsUnseen(composition, options.UnseenPercent) && !Demos.Any(d => PageBuilder.CompositionOf(d.Components.Select(ComponentById)) == composition);

    private static PageComponent ComponentById(string id) => PageComponents.All.Single(c => c.Id == id);

    public async Task<CodingCorpus> BuildAsync(CancellationToken cancellationToken = default)
    {
        var train = new List<CorpusExample>();
        var r = new Random(options.Seed);
        var functionTasks = DrawFunctions(r, options.Functions, unseen: false, exclude: options.ExcludeFromTraining, distinct: false);
        foreach (var task in functionTasks) train.Add(FunctionExample(task, r, CorpusSplit.Train));
        log.WriteLine($"corpus: {functionTasks.Count} function examples");

        // A part without refinements needs no sandbox, so it also builds where bubblewrap is missing (the GPU machine).
        if (options.Refinements > 0)
            train.AddRange(await RefinementExamplesAsync(functionTasks.Where(t => t.Lang != Lang.CSharp).Take(options.Refinements * 2).ToList(), r, cancellationToken));
        log.WriteLine($"corpus: {train.Count(e => e.Kind == ExampleKind.Refinement)} refinement examples");

        for (int i = 0; i < options.Pages; i++)
        {
            var components = i % 10 == 0 ? Demos[i / 10 % Demos.Length].Components.Select(ComponentById).ToList() : PageBuilder.DrawComponents(r);
            if (Unseen(PageBuilder.CompositionOf(components))) { i--; continue; }
            string? demo = i % 30 == 0 ? Demos[i / 10 % Demos.Length].Instruction : null;
            var page = PageBuilder.Make(components, r, demo);
            if (demo is null && options.ExcludeFromTraining.Contains(page.Instruction)) { i--; continue; }
            train.Add(PageExample(page, r, CorpusSplit.Train));
        }
        log.WriteLine($"corpus: {options.Pages} page examples");

        var trainTools = ToolCatalog.All.Where(t => !ToolCatalog.HeldOut.Contains(t.Name)).ToList();
        for (int i = 0; i < options.ToolInteractions; i++)
        {
            var interaction = await PlayAsync(trainTools, r.Next(1, 6), r);
            train.Add(ToolCallExample(interaction, CorpusSplit.Train));
            if (r.Next(5) > 0) train.Add(ToolAnswerExample(interaction, CorpusSplit.Train));
        }
        log.WriteLine($"corpus: {options.ToolInteractions} tool interactions");
        for (int i = 0; i < options.SyntheticToolInteractions; i++)
        {
            var (target, declared) = SyntheticTools.Draw(r, r.Next(1, 6), trainTools);
            var interaction = await PlayAsync(declared, declared.Count, r, target);
            train.Add(ToolCallExample(interaction, CorpusSplit.Train));
            if (r.Next(5) > 0) train.Add(ToolAnswerExample(interaction, CorpusSplit.Train));
        }
        log.WriteLine($"corpus: {options.SyntheticToolInteractions} interactions with made-up tools");

        var seenInstructions = train.Select(e => e.Instruction).ToHashSet(StringComparer.Ordinal);
        var er = new Random(options.Seed + 1);
        var heldOut = new List<CorpusExample>();
        var unseen = new List<CorpusExample>();
        heldOut.AddRange(DrawFunctions(er, options.EvalFunctions, unseen: false, seenInstructions).Select(t => FunctionExample(t, er, CorpusSplit.HeldOutSeen, plain: true)));
        unseen.AddRange(DrawFunctions(er, options.EvalFunctions, unseen: true, seenInstructions).Select(t => FunctionExample(t, er, CorpusSplit.Unseen, plain: true)));
        foreach (var (instruction, ids) in Demos)
            heldOut.Add(PageExample(PageBuilder.Make(ids.Select(ComponentById).ToList(), er, instruction, nameIds: false), er, CorpusSplit.HeldOutSeen, plain: true));
        heldOut.AddRange(DrawPages(er, options.EvalPages, unseen: false, seenInstructions));
        unseen.AddRange(DrawPages(er, options.EvalPages, unseen: true, seenInstructions));
        var unseenTools = ToolCatalog.All.Where(t => ToolCatalog.HeldOut.Contains(t.Name)).ToList();
        for (int i = 0; i < options.EvalTools; i++)
        {
            heldOut.Add(ToolCallExample(await PlayAsync(trainTools, 5, er), CorpusSplit.HeldOutSeen));
            unseen.Add(ToolCallExample(await PlayAsync(trainTools, 5, er, target: unseenTools[i % unseenTools.Count]), CorpusSplit.Unseen));
        }
        return new CodingCorpus(Number(train, "train"), Number(heldOut, "seen"), Number(unseen, "unseen"));
    }

    private static List<CorpusExample> Number(List<CorpusExample> examples, string prefix) =>
        examples.Select((e, i) => e with { Id = $"{prefix}-{i:D6}" }).ToList();

    private List<FunctionTask> DrawFunctions(Random r, int count, bool unseen, IReadOnlySet<string>? exclude, bool distinct = true)
    {
        var tasks = new List<FunctionTask>(count);
        var instructions = new HashSet<string>(StringComparer.Ordinal);
        for (int attempts = 0; tasks.Count < count; attempts++)
        {
            if (attempts > count * 200) throw new InvalidOperationException($"could not draw {count} function tasks");
            if (FunctionTasks.DrawProgram(r) is not { } program || Unseen(program.Composition) != unseen) continue;
            var lang = r.Next(100) switch { < 40 => Lang.Python, < 70 => Lang.JavaScript, _ => Lang.CSharp };
            if (FunctionTasks.Make(program, lang, r) is not { } task) continue;
            if (exclude is not null && exclude.Contains(task.Instruction)) continue;
            if (distinct && !instructions.Add(task.Instruction)) continue;
            tasks.Add(task);
        }
        return tasks;
    }

    private List<CorpusExample> DrawPages(Random r, int count, bool unseen, HashSet<string> exclude)
    {
        var pages = new List<CorpusExample>();
        for (int attempts = 0; pages.Count < count && attempts < count * 500; attempts++)
        {
            var components = PageBuilder.DrawComponents(r);
            if (Unseen(PageBuilder.CompositionOf(components)) != unseen) continue;
            var page = PageBuilder.Make(components, r);
            if (exclude.Contains(page.Instruction)) continue;
            pages.Add(PageExample(page, r, unseen ? CorpusSplit.Unseen : CorpusSplit.HeldOutSeen, plain: true));
        }
        return pages;
    }

    /// <summary>The conversation of a single request, mostly as a plain user turn, sometimes with another system
    /// prompt, extra instructions or unrelated tools declared, as callers send them.</summary>
    private (List<ChatMessage> Messages, ChatOptions? Options) Request(string instruction, Random r, bool plain)
    {
        var messages = new List<ChatMessage>();
        ChatOptions? chatOptions = null;
        int roll = plain ? 99 : r.Next(100);
        if (roll < 6) messages.Add(new ChatMessage(ChatRole.System, SystemVariants[r.Next(SystemVariants.Length)]));
        else if (roll < 12) chatOptions = new ChatOptions { Instructions = InstructionVariants[r.Next(InstructionVariants.Length)] };
        else if (roll < 17)
            chatOptions = new ChatOptions
            {
                Tools = [.. ToolCatalog.All.Where(t => !ToolCatalog.HeldOut.Contains(t.Name)).OrderBy(_ => r.Next()).Take(r.Next(1, 4)).Select(ToolTasks.AsFunction)],
            };
        messages.Add(new ChatMessage(ChatRole.User, instruction));
        return (messages, chatOptions);
    }

    private string Render(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions) => DiffusionChatClient.RenderPrompt(_template, messages, chatOptions);

    private CorpusExample FunctionExample(FunctionTask task, Random r, CorpusSplit split, bool plain = false)
    {
        var (messages, chatOptions) = Request(task.Instruction, r, plain);
        return new CorpusExample
        {
            Id = "", Kind = ExampleKind.Function, Split = split, Language = Values.Tag(task.Lang), Composition = task.Composition,
            Instruction = task.Instruction, Prompt = Render(messages, chatOptions), Answer = task.Fenced, Tests = task.Tests, HiddenTests = task.HiddenTests,
        };
    }

    private CorpusExample PageExample(PageTask page, Random r, CorpusSplit split, bool plain = false)
    {
        var (messages, chatOptions) = Request(page.Instruction, r, plain);
        return new CorpusExample
        {
            Id = "", Kind = ExampleKind.Page, Split = split, Language = "html", Composition = page.Composition,
            Instruction = page.Instruction, Prompt = Render(messages, chatOptions), Answer = ChatFormat.Fence("html", page.Page), Tests = [page.Tests],
        };
    }

    private async Task<List<CorpusExample>> RefinementExamplesAsync(List<FunctionTask> tasks, Random r, CancellationToken cancellationToken)
    {
        var runners = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()));
        string work = Directory.CreateTempSubdirectory("mercury-corpus-refine-").FullName;
        var seeds = tasks.Select(_ => r.Next()).ToList();
        var prompts = new string?[tasks.Count];
        try
        {
            // Two sandboxed runs at a time: the machine has two cores.
            await Parallel.ForAsync(0, tasks.Count, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                if (prompts.Count(p => p is not null) >= options.Refinements) return;
                prompts[i] = await Refinements.PromptAsync(tasks[i], runners, work, new Random(seeds[i]), ct);
            });
        }
        finally
        {
            Directory.Delete(work, true);
        }
        return tasks.Select((t, i) => (t, Prompt: prompts[i])).Where(x => x.Prompt is not null).Take(options.Refinements).Select(x => new CorpusExample
        {
            Id = "", Kind = ExampleKind.Refinement, Language = Values.Tag(x.t.Lang), Composition = x.t.Composition, Instruction = x.Prompt!,
            Prompt = Render([new ChatMessage(ChatRole.User, x.Prompt!)], null), Answer = x.t.Fenced, Tests = x.t.Tests, HiddenTests = x.t.HiddenTests,
        }).ToList();
    }

    private static async Task<ToolInteraction> PlayAsync(List<ToolSpec> pool, int declaredCount, Random r, ToolSpec? target = null)
    {
        target ??= pool[r.Next(pool.Count)];
        var others = pool.Where(t => t.Name != target.Name).OrderBy(_ => r.Next()).Take(declaredCount - 1);
        var declared = others.Append(target).OrderBy(_ => r.Next()).ToList();
        var stack = r.Next(5) < 3 ? ToolStack.ExtensionsAI : ToolStack.SemanticKernel;
        string? instructions = r.Next(6) == 0 ? InstructionVariants[r.Next(InstructionVariants.Length)] : null;
        return await ToolTasks.PlayAsync(target, declared, stack, r, instructions);
    }

    private CorpusExample ToolCallExample(ToolInteraction x, CorpusSplit split) => new()
    {
        Id = "", Kind = ExampleKind.ToolCall, Split = split, Language = "tool", Composition = $"tool|{x.Target.Name}",
        Instruction = x.Request, Prompt = Render(x.CallTurn.Messages, x.CallTurn.Options), Answer = x.CallAnswer,
        ToolStack = x.Stack.ToString(), DeclaredTools = x.Declared.Select(t => t.Name).ToList(), TargetTool = x.Target.Name, ExpectedName = x.CalledName,
        ExpectedArguments = JsonSerializer.Serialize(x.Arguments),
    };

    private CorpusExample ToolAnswerExample(ToolInteraction x, CorpusSplit split) => ToolCallExample(x, split) with
    {
        Kind = ExampleKind.ToolAnswer, Prompt = Render(x.AnswerTurn.Messages, x.AnswerTurn.Options), Answer = x.FinalAnswer,
    };
}
