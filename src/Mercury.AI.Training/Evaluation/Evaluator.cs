using System.Diagnostics;
using System.Text.Json;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Training.Evaluation;

public sealed record EvalOptions
{
    public required string ModelFolder { get; init; }
    public required string CorpusFolder { get; init; }
    /// <summary>How many held-out instances of seen templates / of unseen templates to generate for (the first N of each file).</summary>
    public int SeenLimit { get; init; } = 100;
    public int UnseenLimit { get; init; } = 50;
    /// <summary>Generate → test → refine rounds in total (1 = pass@1 only).</summary>
    public int Rounds { get; init; } = 4;
    public long Seed { get; init; }
    public int Threads { get; init; } = 2;
    public string? ReportPath { get; init; }
}

/// <summary>Per-task outcome.</summary>
public sealed record TaskOutcome(string Id, string TemplateId, string Kind, bool PassedFirst, int? PassedInRound, string Answer, string Output);

public sealed record SplitReport(string Split, int Tasks, double PassAt1, double PassAfterRefine, Dictionary<string, double> PassAt1ByKind, List<TaskOutcome> Outcomes);

public sealed record EvalReport(double HeldOutLoss, double HeldOutMaskedAccuracy, SplitReport Seen, SplitReport Unseen,
    double AnswerTokensPerSecond, double CanvasTokensPerSecond, int Threads, string Sampler);

/// <summary>
/// Evaluates a model folder on the corpus's held-out splits: masked-token accuracy, pass@1 with the default sampler
/// (LLaDA low-confidence remasking, block 32, one token per step, greedy), pass rate after refine rounds, tokens/s.
/// </summary>
public sealed class Evaluator(EvalOptions options, TextWriter? log = null)
{
    private readonly TextWriter _log = log ?? Console.Out;

    public const string SamplerDescription = "LLaDA low-confidence remasking, block 32, steps = answer length, temperature 0";

    /// <summary>Answer canvas per kind: room for the longest reference answer of the kind plus EOS.</summary>
    public static int GenerationLength(CodingTask task) => task.Kind switch
    {
        TaskKind.Html => 320,
        TaskKind.ToolCall => 64,
        _ => 96,
    };

    public EvalReport Run()
    {
        torch.set_num_threads(options.Threads);
        using var model = ModelLoader.Load(options.ModelFolder);
        var tokenizer = HuggingFaceTokenizer.FromFile(options.ModelFolder);
        var corpus = CodingCorpus.Load(options.CorpusFolder);
        int eosId = Trainer.SpecialIds(tokenizer).Eos;

        var heldOut = corpus.HeldOutSeen.Take(64).Select(t => SftExample.From(t, tokenizer)).Where(e => e.Length <= model.Config.MaxSequenceLength).ToList();
        var (loss, accuracy) = Trainer.HeldOut(model, heldOut, eosId, CPU, 1234);
        _log.WriteLine($"held-out loss {loss:F4}, masked-token accuracy {accuracy:P1}");

        var generator = new DiffusionGenerator(model, tokenizer);
        var timing = new Timing();
        var seen = Evaluate("held-out instances of seen templates", corpus.HeldOutSeen.Take(options.SeenLimit).ToList(), generator, tokenizer, timing);
        var unseen = Evaluate("unseen templates", corpus.Unseen.Take(options.UnseenLimit).ToList(), generator, tokenizer, timing);
        var report = new EvalReport(loss, accuracy, seen, unseen, timing.AnswerTokens / timing.Seconds, timing.CanvasTokens / timing.Seconds,
            options.Threads, SamplerDescription);
        _log.WriteLine($"tokens/s ({options.Threads} threads): {report.AnswerTokensPerSecond:F1} answer tokens/s, {report.CanvasTokensPerSecond:F1} canvas tokens/s");
        if (options.ReportPath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        }
        return report;
    }

    private sealed class Timing
    {
        public double Seconds, AnswerTokens, CanvasTokens;
    }

    private SplitReport Evaluate(string name, List<CodingTask> tasks, DiffusionGenerator generator, HuggingFaceTokenizer tokenizer, Timing timing)
    {
        var outcomes = new List<TaskOutcome>();
        foreach (var task in tasks)
        {
            string instruction = task.Instruction;
            TaskOutcome? outcome = null;
            for (int round = 1; round <= options.Rounds; round++)
            {
                string answer = Generate(generator, tokenizer, task, instruction, timing);
                var check = TestRunner.Check(task, answer);
                outcome = outcome is null
                    ? new TaskOutcome(task.Id, task.TemplateId, task.Kind.ToString(), check.Passed, check.Passed ? 1 : null, answer, check.Output)
                    : outcome with { PassedInRound = check.Passed ? round : null };
                // Only code tasks are refined: tool calls and pages have no test output worth feeding back yet.
                if (check.Passed || task.Kind is not (TaskKind.Python or TaskKind.JavaScript)) break;
                instruction = Refinement.Prompt(task.Instruction, task.Language, ChatFormat.ExtractCode(answer), check.Output);
            }
            outcomes.Add(outcome!);
        }
        double pass1 = outcomes.Count == 0 ? 0 : outcomes.Count(o => o.PassedFirst) / (double)outcomes.Count;
        double refined = outcomes.Count == 0 ? 0 : outcomes.Count(o => o.PassedInRound is not null) / (double)outcomes.Count;
        var byKind = outcomes.GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.Count(o => o.PassedFirst) / (double)g.Count());
        _log.WriteLine($"{name}: {outcomes.Count} tasks, pass@1 {pass1:P1}, after up to {options.Rounds} rounds {refined:P1}; by kind: " +
            string.Join(", ", byKind.Select(k => $"{k.Key} {k.Value:P0} (n={outcomes.Count(o => o.Kind == k.Key)})")));
        return new SplitReport(name, outcomes.Count, pass1, refined, byKind, outcomes);
    }

    private string Generate(DiffusionGenerator generator, HuggingFaceTokenizer tokenizer, CodingTask task, string instruction, Timing timing)
    {
        var prompt = tokenizer.Encode(ChatFormat.Prompt(task.System, instruction));
        int length = GenerationLength(task);
        int room = generator.Model.Config.MaxSequenceLength - prompt.Count;
        if (room < length) length = Math.Max(SftBatcher.Granularity, room / 32 * 32);
        var clock = Stopwatch.StartNew();
        var result = generator.Generate(new GenerationRequest
        {
            PromptTokens = prompt,
            MaxNewTokens = length,
            Options = new DiffusionOptions { Seed = options.Seed, Overflow = PromptOverflow.TruncateStart },
        });
        timing.Seconds += clock.Elapsed.TotalSeconds;
        timing.AnswerTokens += result.Tokens.Count;
        timing.CanvasTokens += length;
        return result.Text ?? tokenizer.Decode(result.Tokens);
    }
}
