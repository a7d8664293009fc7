using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Tokenization;

namespace Mercury.AI.Training.Tests;

/// <summary>A small corpus (every kind of example, a few refinements run in the sandbox) and a tokenizer trained on
/// it, built once per test run into a temp folder.</summary>
public static class SmallWorld
{
    public static readonly CorpusOptions Options = new()
    {
        Seed = 7, Functions = 240, Refinements = 3, Pages = 30, ToolInteractions = 30, SyntheticToolInteractions = 30, EvalFunctions = 12, EvalPages = 4, EvalTools = 5,
    };

    private static readonly Lazy<(string Folder, CodingCorpus Corpus, string TokenizerPath)> Built = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), $"mercury-training-tests-{Environment.ProcessId}");
        var corpus = new CorpusBuilder(Options, TextWriter.Null).BuildAsync().GetAwaiter().GetResult();
        corpus.Save(Path.Combine(folder, "corpus"));
        var bpe = BpeTrainer.Train(corpus.Train.Select(Program.Render), ChatFormat.SpecialTokens, vocabSize: 700);
        string tokenizer = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(tokenizer, bpe.ToTokenizerJson());
        return (folder, corpus, tokenizer);
    });

    public static string Folder => Built.Value.Folder;
    public static string CorpusFolder => Path.Combine(Built.Value.Folder, "corpus");
    public static CodingCorpus Corpus => Built.Value.Corpus;
    public static string TokenizerPath => Built.Value.TokenizerPath;
}
