using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Tokenization;

namespace Mercury.AI.Training.Tests;

/// <summary>A small corpus and a tokenizer trained on it, built once per test run into a temp folder.</summary>
public static class SmallWorld
{
    private static readonly Lazy<(string Folder, CodingCorpus Corpus, string TokenizerPath)> Built = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), $"mercury-training-tests-{Environment.ProcessId}");
        var corpus = CorpusBuilder.Build(new CorpusOptions { Seed = 7, TrainCount = 400, HeldOutSeenCount = 24, UnseenCount = 12 });
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
