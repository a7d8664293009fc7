using System.Text.Json;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Training.Corpus;

namespace Mercury.AI.Training.Evaluation;

/// <summary>
/// The first embedded model's held-out template set (Python and JavaScript tasks of templates its corpus never
/// used), frozen in <c>v1-unseen-templates.jsonl</c> when that corpus was retired: a second held-out measure written
/// by other hands than the v2 generator.
/// </summary>
public static class V1Set
{
    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "Evaluation", "v1-unseen-templates.jsonl");

    public static List<CorpusExample> Load() => File.ReadLines(FilePath).Where(l => l.Length > 0).Select(line =>
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        string language = root.GetProperty("language").GetString()!;
        return new CorpusExample
        {
            Id = root.GetProperty("id").GetString()!, Kind = ExampleKind.Function, Split = CorpusSplit.Unseen, Language = language,
            Composition = root.GetProperty("template").GetString()!, Instruction = root.GetProperty("instruction").GetString()!, Prompt = "", Answer = "",
            Tests = [new TestFile(language == "python" ? "test_v1.py" : "v1.test.js", root.GetProperty("tests").GetString()!)],
        };
    }).ToList();
}
