using System.Globalization;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Corpus.Programs;
using Mercury.AI.Training.Evaluation;
using Mercury.AI.Training.Tokenization;
using Mercury.AI.Training.Training;

namespace Mercury.AI.Training;

/// <summary>
/// <c>dotnet run --project src/Mercury.AI.Training -c Release -- corpus|tokenizer|train|eval|conditioning|all [--option value ...]</c>.
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
            case "eval":
                new Evaluator(new EvalOptions
                {
                    ModelFolder = model, CorpusFolder = corpus, Limit = o.Int("limit", 60), Offset = o.Int("offset", 0), Threads = o.Int("threads", 2),
                    CSharpLimit = o.Int("csharp-limit", 20), PageLimit = o.Int("page-limit", 30), AgentLimit = o.Int("agent-limit", 12),
                    Samplers = o.Get("samplers", "default").Split(','), Parts = o.Get("parts", "functions,pages,tools,v1,speed").Split(',').ToHashSet(),
                    ReportPath = o.Get("report", Path.Combine(work, "eval.json")),
                }).RunAsync().GetAwaiter().GetResult();
                break;
            case "conditioning":
                PromptDependence.Run(model, corpus, o.Int("limit", 32), Console.Out);
                break;
            case "selfcheck" when o.Get("langs", "") == "html":
                return ProgramSelfCheck.RunPagesAsync(o.Int("count", 20), o.Int("seed", 1), Console.Out).GetAwaiter().GetResult() == 0 ? 0 : 1;
            case "selfcheck":
                return ProgramSelfCheck.RunAsync(o.Int("count", 30), o.Int("seed", 1), o.Get("langs", "python,javascript").Split(',').Select(ParseLang), Console.Out)
                    .GetAwaiter().GetResult() == 0 ? 0 : 1;
            case "all":
                BuildCorpus(o, corpus);
                TrainTokenizer(o, corpus, tokenizerPath);
                new Trainer(TrainingOptions(o, work, corpus, tokenizerPath, model)).Run();
                break;
            default:
                Console.Error.WriteLine($"Unknown command '{args[0]}'.\n{Usage}");
                return 1;
        }
        o.ThrowOnUnused();
        return 0;
    }

    private const string Usage = """
        usage: Mercury.AI.Training corpus|tokenizer|train|eval|conditioning|selfcheck|all [options]
          common:    --work artifacts/training  --corpus <work>/corpus  --tokenizer <work>/tokenizer.json  --model models/mercury-coder-tiny
          corpus:    --exclude-eval-of <corpus folder> --seed 1234 --functions 40000 --refinements 4000 --pages 9000 --tools 6000 --synthetic-tools 6000 --eval-functions 300 --eval-pages 60 --eval-tools 100
          tokenizer: --vocab-size 3072
          train:     --steps N --batch-size 16 --lr 3e-3 --warmup 100 --max-len 1024 --d-model 256 --layers 5 --heads 4 --mlp 704
                     --minutes M (time-budgeted cosine) --average 0.999 (export a moving average of the weights) --export-only true --kinds Function,ToolCall,Refinement (curriculum; default all)
                     --device cpu --threads 2 --eval-every 500 --checkpoint-every 100 --max-steps-this-run N (resumes from <work>/run/checkpoint)
          eval:      --limit 60 --csharp-limit 20 --page-limit 30 --agent-limit 12 --offset 0 --samplers default,onetok,thr0.9 --parts functions,pages,tools,v1,agent,speed --report <work>/eval.json
          conditioning: --limit 32   (answer-text accuracy of held-out tasks with their own prompt vs another task's: does the model read its instruction?)
          selfcheck: --count 30 --seed 1 --langs python,javascript,csharp   (reference solutions of drawn tasks against their tests, sandboxed)
        """;

    private static Lang ParseLang(string name) => name switch
    {
        "python" => Lang.Python,
        "javascript" => Lang.JavaScript,
        "csharp" => Lang.CSharp,
        _ => throw new ArgumentException($"Unknown language '{name}' (python, javascript, csharp)."),
    };

    private static void BuildCorpus(CliOptions o, string folder)
    {
        var options = new CorpusOptions
        {
            Seed = o.Int("seed", 1234), Functions = o.Int("functions", 40_000), Refinements = o.Int("refinements", 4_000), Pages = o.Int("pages", 9_000),
            ToolInteractions = o.Int("tools", 6_000), SyntheticToolInteractions = o.Int("synthetic-tools", 6_000),
            EvalFunctions = o.Int("eval-functions", 300), EvalPages = o.Int("eval-pages", 60), EvalTools = o.Int("eval-tools", 100),
            // More training data for an existing corpus: none of its evaluation instructions may appear.
            ExcludeFromTraining = o.Get("exclude-eval-of", "") is { Length: > 0 } other
                ? CodingCorpus.Read(Path.Combine(other, CodingCorpus.HeldOutSeenFile)).Concat(CodingCorpus.Read(Path.Combine(other, CodingCorpus.UnseenFile)))
                    .Select(e => e.Instruction).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(),
        };
        var corpus = new CorpusBuilder(options, Console.Out).BuildAsync().GetAwaiter().GetResult();
        corpus.Save(folder);
        Console.WriteLine($"corpus: {corpus.Train.Count} train, {corpus.HeldOutSeen.Count} held-out (seen compositions), {corpus.Unseen.Count} unseen -> {folder}");
        foreach (var group in corpus.Train.GroupBy(e => (e.Kind, e.Language)).OrderBy(g => g.Key.ToString()))
            Console.WriteLine($"  train {group.Key.Kind} {group.Key.Language}: {group.Count()}");
    }

    private static void TrainTokenizer(CliOptions o, string corpusFolder, string path)
    {
        var corpus = CodingCorpus.Load(corpusFolder);
        var texts = corpus.Train.Select(Render).ToList();
        var bpe = BpeTrainer.Train(texts, ChatFormat.SpecialTokens, o.Int("vocab-size", 3072));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, bpe.ToTokenizerJson());
        var tokenizer = HuggingFaceTokenizer.FromFile(path);
        long tokens = 0, chars = 0;
        int failures = 0, longest = 0;
        foreach (var text in texts.Concat(corpus.HeldOutSeen.Select(Render)).Concat(corpus.Unseen.Select(Render)))
        {
            var ids = tokenizer.Encode(text);
            tokens += ids.Count;
            chars += text.Length;
            longest = Math.Max(longest, ids.Count);
            if (tokenizer.Decode(ids) != text) failures++;
        }
        Console.WriteLine($"tokenizer: {tokenizer.VocabSize} tokens ({bpe.Merges.Count} merges) -> {path}; {chars / (double)tokens:F2} chars/token; " +
            $"{tokens / 1e6:F1}M tokens in all, longest example {longest}; round-trip failures: {failures}");
        if (failures > 0) throw new InvalidDataException($"{failures} texts do not round-trip through {path}");
    }

    /// <summary>The full training text of an example, as the tokenizer sees it.</summary>
    public static string Render(CorpusExample example) => example.Prompt + ChatFormat.AnswerSuffix(example.Answer);

    private static TrainingOptions TrainingOptions(CliOptions o, string work, string corpus, string tokenizer, string model) => new()
    {
        CorpusFolder = corpus,
        TokenizerPath = tokenizer,
        RunFolder = o.Get("run", Path.Combine(work, "run")),
        ModelFolder = model,
        Model = new TinyModelSpec { DModel = o.Int("d-model", 256), Layers = o.Int("layers", 5), Heads = o.Int("heads", 4), MlpHidden = o.Int("mlp", 704) },
        Steps = o.Int("steps", 100_000),
        BatchSize = o.Int("batch-size", 16),
        LearningRate = o.Double("lr", 3e-3),
        WarmupSteps = o.Int("warmup", 100),
        MaxTrainLength = o.Int("max-len", 1024),
        Kinds = o.Has("kinds") ? o.Get("kinds", "").Split(',').Select(k => Enum.TryParse<ExampleKind>(k, ignoreCase: true, out var kind) && Enum.IsDefined(kind) ? kind
            : throw new ArgumentException($"Unknown kind '{k}' in --kinds ({string.Join(", ", Enum.GetNames<ExampleKind>())}).")).ToHashSet() : null,
        Device = o.Get("device", "cpu"),
        Threads = o.Int("threads", 2),
        Seed = o.Int("train-seed", 1234),
        AverageDecay = o.Double("average", 0),
        EvalEvery = o.Int("eval-every", 500),
        CheckpointEvery = o.Int("checkpoint-every", 100),
        LogEvery = o.Int("log-every", 10),
        MaxStepsThisRun = o.Has("max-steps-this-run") ? o.Int("max-steps-this-run", 0) : null,
        Minutes = o.Has("minutes") ? o.Double("minutes", 0) : null,
        ExportOnly = o.Get("export-only", "false") == "true",
    };
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
