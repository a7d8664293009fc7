using System.Globalization;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Evaluation;
using Mercury.AI.Training.Tokenization;
using Mercury.AI.Training.Training;

namespace Mercury.AI.Training;

/// <summary>
/// <c>dotnet run --project src/Mercury.AI.Training -c Release -- corpus|tokenizer|train|eval|all [--option value ...]</c>.
/// Defaults reproduce models/mercury-coder-tiny (see its README.md).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        var o = CliOptions.Parse(args.Skip(1));
        string work = o.Get("work", "artifacts/training");
        string corpus = o.Get("corpus", Path.Combine(work, "corpus"));
        string tokenizerPath = o.Get("tokenizer", Path.Combine(work, "tokenizer.json"));
        string model = o.Get("model", "models/mercury-coder-tiny");
        switch (args[0])
        {
            case "corpus": BuildCorpus(o, corpus); break;
            case "tokenizer": TrainTokenizer(o, corpus, tokenizerPath); break;
            case "train": new Trainer(TrainingOptions(o, work, corpus, tokenizerPath, model)).Run(); break;
            case "eval": Evaluate(o, corpus, model); break;
            case "selfcheck":
                return Corpus.Programs.ProgramSelfCheck.RunAsync(o.Int("count", 30), o.Int("seed", 1),
                    o.Get("langs", "python,javascript").Split(',').Select(l => l switch { "python" => Corpus.Programs.Lang.Python, "javascript" => Corpus.Programs.Lang.JavaScript, _ => Corpus.Programs.Lang.CSharp }),
                    Console.Out).GetAwaiter().GetResult() == 0 ? 0 : 1;
            case "all":
                BuildCorpus(o, corpus);
                TrainTokenizer(o, corpus, tokenizerPath);
                new Trainer(TrainingOptions(o, work, corpus, tokenizerPath, model)).Run();
                Evaluate(o, corpus, model);
                break;
            default:
                Console.Error.WriteLine($"Unknown command '{args[0]}'.\n{Usage}");
                return 1;
        }
        o.ThrowOnUnused();
        return 0;
    }

    private const string Usage = """
        usage: Mercury.AI.Training corpus|tokenizer|train|eval|all [options]
          common:    --work artifacts/training  --corpus <work>/corpus  --tokenizer <work>/tokenizer.json  --model models/mercury-coder-tiny
          corpus:    --seed 1234 --train-count 30000 --heldout-count 400 --unseen-count 200
          tokenizer: --vocab-size 4096
          train:     --steps 2200 --batch-size 16 --lr 3e-3 --warmup 50 --max-len 448 --d-model 192 --layers 4 --heads 3 --mlp 512
                     --minutes M (time-budgeted cosine) --export-only true
                     --device cpu --threads 2 --eval-every 200 --checkpoint-every 100 --max-steps-this-run N (resumes from <work>/run/checkpoint)
          eval:      --seen-limit 100 --unseen-limit 50 --rounds 4 --offset 0 --block 32 --report <work>/eval.json
        """;

    private static void BuildCorpus(CliOptions o, string folder)
    {
        var options = new CorpusOptions
        {
            Seed = o.Int("seed", 1234), TrainCount = o.Int("train-count", 30_000),
            HeldOutSeenCount = o.Int("heldout-count", 400), UnseenCount = o.Int("unseen-count", 200),
        };
        var corpus = CorpusBuilder.Build(options);
        corpus.Save(folder);
        Console.WriteLine($"corpus: {corpus.Train.Count} train, {corpus.HeldOutSeen.Count} held-out (seen templates), {corpus.Unseen.Count} unseen-template tasks -> {folder}");
        Console.WriteLine($"templates: {CorpusBuilder.SeenTemplateIds.Count()} seen, {CorpusBuilder.UnseenTemplateIds.Count()} unseen ({string.Join(", ", CorpusBuilder.UnseenTemplateIds)})");
    }

    private static void TrainTokenizer(CliOptions o, string corpusFolder, string path)
    {
        var corpus = CodingCorpus.Load(corpusFolder);
        var texts = corpus.Train.Select(Render).ToList();
        var bpe = BpeTrainer.Train(texts, ChatFormat.SpecialTokens, o.Int("vocab-size", 4096));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, bpe.ToTokenizerJson());
        var tokenizer = HuggingFaceTokenizer.FromFile(path);
        long tokens = 0, chars = 0;
        int failures = 0;
        foreach (var text in texts.Concat(corpus.HeldOutSeen.Select(Render)).Concat(corpus.Unseen.Select(Render)))
        {
            var ids = tokenizer.Encode(text);
            tokens += ids.Count;
            chars += text.Length;
            if (tokenizer.Decode(ids) != text) failures++;
        }
        Console.WriteLine($"tokenizer: {tokenizer.VocabSize} tokens ({bpe.Merges.Count} merges) -> {path}; {chars / (double)tokens:F2} chars/token; round-trip failures: {failures}");
        if (failures > 0) throw new InvalidDataException($"{failures} texts do not round-trip through {path}");
    }

    /// <summary>The full training text of a task, as the tokenizer sees it.</summary>
    public static string Render(CodingTask task) => ChatFormat.Prompt(task.System, task.Instruction) + ChatFormat.AnswerSuffix(task.Answer);

    private static TrainingOptions TrainingOptions(CliOptions o, string work, string corpus, string tokenizer, string model) => new()
    {
        CorpusFolder = corpus,
        TokenizerPath = tokenizer,
        RunFolder = o.Get("run", Path.Combine(work, "run")),
        ModelFolder = model,
        Model = new TinyModelSpec { DModel = o.Int("d-model", 192), Layers = o.Int("layers", 4), Heads = o.Int("heads", 3), MlpHidden = o.Int("mlp", 512) },
        Steps = o.Int("steps", 2200),
        BatchSize = o.Int("batch-size", 16),
        LearningRate = o.Double("lr", 3e-3),
        WarmupSteps = o.Int("warmup", 50),
        MaxTrainLength = o.Int("max-len", 448),
        Device = o.Get("device", "cpu"),
        Threads = o.Int("threads", 2),
        Seed = o.Int("train-seed", 1234),
        EvalEvery = o.Int("eval-every", 200),
        CheckpointEvery = o.Int("checkpoint-every", 100),
        LogEvery = o.Int("log-every", 10),
        MaxStepsThisRun = o.Has("max-steps-this-run") ? o.Int("max-steps-this-run", 0) : null,
        Minutes = o.Has("minutes") ? o.Double("minutes", 0) : null,
        ExportOnly = o.Get("export-only", "false") == "true",
    };

    private static void Evaluate(CliOptions o, string corpus, string model) =>
        new Evaluator(new EvalOptions
        {
            ModelFolder = model, CorpusFolder = corpus, SeenLimit = o.Int("seen-limit", 100), UnseenLimit = o.Int("unseen-limit", 50),
            Rounds = o.Int("rounds", 4), Offset = o.Int("offset", 0), BlockLength = o.Int("block", 32), Threads = o.Int("threads", 2), ReportPath = o.Get("report", Path.Combine(o.Get("work", "artifacts/training"), "eval.json")),
        }).Run();
}

/// <summary><c>--key value</c> pairs; every option given must be used by the command, so typos fail loudly.</summary>
internal sealed class CliOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public static CliOptions Parse(IEnumerable<string> args)
    {
        var o = new CliOptions();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= list.Count)
                throw new ArgumentException($"Expected '--option value', got '{list[i]}'.");
            o._values[list[i][2..]] = list[++i];
        }
        return o;
    }

    public bool Has(string key) => _values.ContainsKey(key);

    public string Get(string key, string fallback)
    {
        _used.Add(key);
        return _values.GetValueOrDefault(key, fallback);
    }

    public int Int(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string key, double fallback) => double.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public void ThrowOnUnused()
    {
        var unused = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unused.Count > 0) throw new ArgumentException($"Unknown option(s) for this command: {string.Join(", ", unused.Select(k => "--" + k))}");
    }
}
