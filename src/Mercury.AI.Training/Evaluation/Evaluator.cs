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
    /// <summary>Skip this many tasks of each split first: e.g. tune sampler settings on tasks 300+ and report on the first 100.</summary>
    public int Offset { get; init; }
    /// <summary>Semi-autoregressive block length of the sampler.</summary>
    public int BlockLength { get; init; } = 32;
    /// <summary>Generate → test → refine rounds in total (1 = pass@1 only).</summary>
    public int Rounds { get; init; } = 4;
    public long Seed { get; init; }
    public int Threads { get; init; } = 2;
    public string? ReportPath { get; init; }
}

/// <summary>Per-task outcome.</summary>
public sealed record TaskOutcome(string Id, string TemplateId, string Kind, bool PassedFirst, int? PassedInRound, string Answer, string Output);

public sealed record SplitReport(string Split, int Tasks, double PassAt1, double PassAfterRefine, Dictionary<string, double> PassAt1ByKind, List<TaskOutcome> Outcomes);

public sealed record EvalReport(double HeldOutLoss, double HeldOutMaskedAccuracy, double HeldOutTextAccuracy, SplitReport Seen, SplitReport Unseen,
    double AnswerTokensPerSecond, double CanvasTokensPerSecond, double BatchedAnswerTokensPerSecond, double BatchedCanvasTokensPerSecond,
    int Threads, string Sampler);

/// <summary>
/// Evaluates a model folder on the corpus's held-out splits: masked-token accuracy, pass@1 with the default sampler
/// (LLaDA low-confidence remasking, block 32, one token per step, greedy), pass rate after refine rounds, tokens/s.
/// </summary>
public sealed class Evaluator(EvalOptions options, TextWriter? log = null)
{
    private readonly TextWriter _log = log ?? Console.Out;

    public string SamplerDescription => $"LLaDA low-confidence remasking, block {options.BlockLength}, steps = answer length, temperature 0";

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
        var heldOutResult = Trainer.HeldOutDetailed(model, heldOut, eosId, CPU, 1234);
        var (loss, accuracy) = (heldOutResult.Loss, heldOutResult.Accuracy);
        _log.WriteLine($"held-out ({heldOut.Count} examples, mask ratios 0.25/0.5/0.75/1): loss {loss:F4}, masked-token accuracy {accuracy:P1} " +
            $"(answer text only, EOS padding excluded: {heldOutResult.TextAccuracy:P1})");

        var generator = new DiffusionGenerator(model, tokenizer);
        var timing = new Timing();
        var seen = Evaluate("held-out instances of seen templates", corpus.HeldOutSeen.Skip(options.Offset).Take(options.SeenLimit).ToList(), generator, tokenizer, timing);
        var unseen = Evaluate("unseen templates", corpus.Unseen.Skip(options.Offset).Take(options.UnseenLimit).ToList(), generator, tokenizer, timing);
        var single = SingleRequestSpeed(generator, tokenizer, corpus.HeldOutSeen.Where(t => t.Kind == TaskKind.Python).Take(4));
        var report = new EvalReport(loss, accuracy, heldOutResult.TextAccuracy, seen, unseen, single.AnswerTokensPerSecond, single.CanvasTokensPerSecond,
            timing.AnswerTokens / timing.Seconds, timing.CanvasTokens / timing.Seconds, options.Threads, SamplerDescription);
        _log.WriteLine($"tokens/s ({options.Threads} threads), one request at a time: {report.AnswerTokensPerSecond:F1} answer tokens/s ({report.CanvasTokensPerSecond:F1} canvas positions/s); " +
            $"batches of {BatchSize}: {report.BatchedAnswerTokensPerSecond:F1} answer tokens/s ({report.BatchedCanvasTokensPerSecond:F1} canvas positions/s)");
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

    /// <summary>Rows decoded together; each row decodes exactly as it would alone (see <see cref="DiffusionGenerator.GenerateBatch"/>).</summary>
    public const int BatchSize = 8;

    private SplitReport Evaluate(string name, List<CodingTask> tasks, DiffusionGenerator generator, HuggingFaceTokenizer tokenizer, Timing timing)
    {
        var outcomes = new TaskOutcome?[tasks.Count];
        var pending = Enumerable.Range(0, tasks.Count).Select(i => (Index: i, Instruction: tasks[i].Instruction)).ToList();
        for (int round = 1; round <= options.Rounds && pending.Count > 0; round++)
        {
            var answers = GenerateAll(generator, tokenizer, pending.Select(p => (tasks[p.Index], p.Instruction)).ToList(), timing);
            var next = new List<(int, string)>();
            for (int j = 0; j < pending.Count; j++)
            {
                var (i, _) = pending[j];
                var task = tasks[i];
                var check = TestRunner.Check(task, answers[j]);
                outcomes[i] = outcomes[i] is null
                    ? new TaskOutcome(task.Id, task.TemplateId, task.Kind.ToString(), check.Passed, check.Passed ? 1 : null, answers[j], check.Output)
                    : outcomes[i]! with { PassedInRound = check.Passed ? round : null };
                // Only code tasks are refined: tool calls and pages have no test output worth feeding back yet.
                if (!check.Passed && task.Kind is TaskKind.Python or TaskKind.JavaScript)
                    next.Add((i, Refinement.Prompt(task.Instruction, task.Language, ChatFormat.ExtractCode(answers[j]), check.Output)));
            }
            pending = next;
        }
        var done = outcomes.Select(o => o!).ToList();
        double pass1 = done.Count == 0 ? 0 : done.Count(o => o.PassedFirst) / (double)done.Count;
        double refined = done.Count == 0 ? 0 : done.Count(o => o.PassedInRound is not null) / (double)done.Count;
        var byKind = done.GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.Count(o => o.PassedFirst) / (double)g.Count());
        _log.WriteLine($"{name}: {done.Count} tasks, pass@1 {pass1:P1}, after up to {options.Rounds} rounds {refined:P1}; by kind: " +
            string.Join(", ", byKind.Select(k => $"{k.Key} {k.Value:P0} (n={done.Count(o => o.Kind == k.Key)})")));
        return new SplitReport(name, done.Count, pass1, refined, byKind, done);
    }

    /// <summary>Answers for (task, instruction) pairs, batched by canvas length.</summary>
    private List<string> GenerateAll(DiffusionGenerator generator, HuggingFaceTokenizer tokenizer, List<(CodingTask Task, string Instruction)> items, Timing timing)
    {
        var answers = new string[items.Count];
        var requests = items.Select((item, i) => (Index: i, Request: Request(generator, tokenizer, item.Task, item.Instruction))).ToList();
        foreach (var group in requests.GroupBy(r => r.Request.MaxNewTokens))
        {
            foreach (var chunk in group.Chunk(BatchSize))
            {
                var clock = Stopwatch.StartNew();
                var results = generator.GenerateBatch(chunk.Select(c => c.Request).ToList());
                timing.Seconds += clock.Elapsed.TotalSeconds;
                for (int k = 0; k < chunk.Length; k++)
                {
                    timing.AnswerTokens += results[k].Tokens.Count;
                    timing.CanvasTokens += chunk[k].Request.MaxNewTokens;
                    answers[chunk[k].Index] = results[k].Text ?? tokenizer.Decode(results[k].Tokens);
                }
            }
        }
        return answers.ToList();
    }

    private GenerationRequest Request(DiffusionGenerator generator, HuggingFaceTokenizer tokenizer, CodingTask task, string instruction)
    {
        var prompt = tokenizer.Encode(ChatFormat.Prompt(task.System, instruction));
        int length = GenerationLength(task);
        int room = generator.Model.Config.MaxSequenceLength - prompt.Count;
        if (room < length) length = Math.Max(SftBatcher.Granularity, room / 32 * 32);
        return new GenerationRequest
        {
            PromptTokens = prompt,
            MaxNewTokens = length,
            Options = new DiffusionOptions { Seed = options.Seed, Overflow = PromptOverflow.TruncateStart, BlockLength = options.BlockLength },
        };
    }

    /// <summary>Single-request speed (batch 1) with the default sampler on the first few tasks: answer and canvas tokens/s.</summary>
    public (double AnswerTokensPerSecond, double CanvasTokensPerSecond) SingleRequestSpeed(DiffusionGenerator generator, HuggingFaceTokenizer tokenizer, IEnumerable<CodingTask> tasks)
    {
        var timing = new Timing();
        foreach (var task in tasks)
        {
            var request = Request(generator, tokenizer, task, task.Instruction);
            var clock = Stopwatch.StartNew();
            var result = generator.Generate(request);
            timing.Seconds += clock.Elapsed.TotalSeconds;
            timing.AnswerTokens += result.Tokens.Count;
            timing.CanvasTokens += request.MaxNewTokens;
        }
        return (timing.AnswerTokens / timing.Seconds, timing.CanvasTokens / timing.Seconds);
    }
}
