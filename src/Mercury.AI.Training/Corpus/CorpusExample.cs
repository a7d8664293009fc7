using System.Text.Json;
using System.Text.Json.Serialization;
using Mercury.AI.Agents.Runners;

namespace Mercury.AI.Training.Corpus;

/// <summary>What an example teaches; decides how an answer to it is checked.</summary>
public enum ExampleKind
{
    /// <summary>A function in Python, JavaScript or C#, checked by its tests.</summary>
    Function,
    /// <summary>A previous attempt and its failing tests (the agent host's refinement turn), answered with the fix.</summary>
    Refinement,
    /// <summary>An HTML page, checked in Chromium.</summary>
    Page,
    /// <summary>Declared tools and a request: the answer is the call.</summary>
    ToolCall,
    /// <summary>The call and its result in history: the answer reports the result.</summary>
    ToolAnswer,
}

/// <summary>Which part of the corpus an example belongs to.</summary>
public enum CorpusSplit
{
    Train,
    /// <summary>New instances (names, constants, phrasing) of compositions that training has.</summary>
    HeldOutSeen,
    /// <summary>Compositions (or tools) training never has.</summary>
    Unseen,
}

/// <summary>
/// One example: the prompt exactly as the chat client renders it (system prompt, tools, history), the answer the model
/// learns, and what checks an answer (tests in the agent host's job format, or the expected call).
/// </summary>
public sealed record CorpusExample
{
    public required string Id { get; init; }
    public required ExampleKind Kind { get; init; }
    public CorpusSplit Split { get; init; }
    /// <summary>python, javascript, csharp, html, or tool.</summary>
    public required string Language { get; init; }
    /// <summary>The structure held out as a unit (see the generators' <c>Composition</c>).</summary>
    public required string Composition { get; init; }
    /// <summary>The user's request of the last turn (the job instruction for code).</summary>
    public required string Instruction { get; init; }
    public required string Prompt { get; init; }
    public required string Answer { get; init; }
    public IReadOnlyList<TestFile> Tests { get; init; } = [];
    public IReadOnlyList<TestFile> HiddenTests { get; init; } = [];
    /// <summary>Tool examples: the stack (ExtensionsAI or SemanticKernel), the declared tools' catalog names, the expected call's name and arguments.</summary>
    public string? ToolStack { get; init; }
    public IReadOnlyList<string>? DeclaredTools { get; init; }
    public string? ExpectedName { get; init; }
    public string? ExpectedArguments { get; init; }
    /// <summary>The tool whose call is expected (catalog name).</summary>
    public string? TargetTool { get; init; }
}

/// <summary>The corpus files: train.jsonl, heldout_seen.jsonl, unseen.jsonl.</summary>
public sealed record CodingCorpus(IReadOnlyList<CorpusExample> Train, IReadOnlyList<CorpusExample> HeldOutSeen, IReadOnlyList<CorpusExample> Unseen)
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

    public static void Write(string path, IEnumerable<CorpusExample> examples) =>
        File.WriteAllLines(path, examples.Select(t => JsonSerializer.Serialize(t, Json)));

    public static List<CorpusExample> Read(string path) =>
        File.ReadLines(path).AsParallel().AsOrdered().Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<CorpusExample>(l, Json)!).ToList();
}
