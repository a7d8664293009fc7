using System.Text.Json.Nodes;

namespace Mercury.AI.Chat.Tests;

/// <summary>
/// The fixture checkpoints (random weights, vocab 512) with the fixture ChatML tokenizer cut down to its first
/// <see cref="VocabLimit"/> ids, so every prompt encodes to ids the model has (the full tokenizer has 1024).
/// Answers are gibberish: these tests compare ids, never text.
/// </summary>
internal static class RealModel
{
    /// <summary>Below the fixtures' special ids (LLaDA: eos 508, eot 509; mask 511).</summary>
    public const int VocabLimit = 500;

    private static readonly Lazy<string> s_tokenizerPath = new(WriteSmallTokenizer);

    public static DiffusionChatClientOptions Options(string fixture, int maxBatchSize = 8) => new()
    {
        ModelPath = Fixtures.Path(fixture),
        TokenizerPath = s_tokenizerPath.Value,
        Device = "cpu",
        MaxBatchSize = maxBatchSize,
        QueueCapacity = 64,
    };

    /// <summary>Distinct user messages of different lengths.</summary>
    public static List<string> Prompts(int count) =>
        Enumerable.Range(0, count).Select(i => string.Concat(Enumerable.Repeat((char)('a' + i % 26), 1 + i % 5)) + " " + (i * 7 % 100)).ToList();

    /// <summary>BPE merge i creates id 260 + i in this file, so dropping the ids ≥ the limit and their merges leaves a
    /// consistent tokenizer whose encodings fall back to shorter pieces.</summary>
    private static string WriteSmallTokenizer()
    {
        var json = JsonNode.Parse(File.ReadAllText(Fixtures.Path("bpe-qwen2-style", "tokenizer.json")))!;
        var model = json["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject();
        foreach (var (token, _) in vocab.Where(p => p.Value!.GetValue<int>() >= VocabLimit).ToList()) vocab.Remove(token);
        var merges = model["merges"]!.AsArray();
        while (merges.Count > VocabLimit - 260) merges.RemoveAt(merges.Count - 1);
        string path = Path.Combine(Path.GetTempPath(), $"mercury-chat-tests-tokenizer-{Environment.ProcessId}.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
