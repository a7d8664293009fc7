using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mercury.AI.Training.Tokenization;

/// <summary>A trained byte-level BPE: the vocabulary in id order and the merges in rank order.</summary>
public sealed record BpeModel(IReadOnlyList<string> SpecialTokens, IReadOnlyList<string> Vocab, IReadOnlyList<(string Left, string Right)> Merges)
{
    /// <summary>Writes a HuggingFace <c>tokenizer.json</c>: Qwen2's Split regex + ByteLevel(use_regex=false), pair merges, added tokens.</summary>
    public string ToTokenizerJson()
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Vocab.Count; i++) vocab[Vocab[i]] = i;
        var root = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = SpecialTokens.Select((t, i) => new Dictionary<string, object>
            {
                ["id"] = i, ["content"] = t, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            }).ToList(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new Dictionary<string, object>
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new object[]
                {
                    new Dictionary<string, object> { ["type"] = "Split", ["pattern"] = new Dictionary<string, string> { ["Regex"] = BpeTrainer.Qwen2Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
                },
            },
            ["post_processor"] = null,
            ["decoder"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = Merges.Select(m => new[] { m.Left, m.Right }).ToList(),
            },
        };
        return JsonSerializer.Serialize(root, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}

/// <summary>
/// Trains byte-level BPE the way HF <c>tokenizers</c>' BpeTrainer does: split text on the special tokens, pre-tokenize
/// with Qwen2's regex, map bytes to GPT-2's printable alphabet, then repeatedly merge the most frequent adjacent pair
/// (ties broken by the pair's text, so a seed-free run is deterministic).
/// </summary>
public static class BpeTrainer
{
    /// <summary>Qwen2's pre-tokenizer split (digits one at a time, letters with one leading non-letter, punctuation runs).</summary>
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly Regex Split = new(Qwen2Pattern, RegexOptions.Compiled);

    /// <summary>GPT-2's bytes_to_unicode table: printable bytes map to themselves, the rest to U+0100 onwards.</summary>
    public static readonly char[] ByteToChar = BuildByteTable();

    public static BpeModel Train(IEnumerable<string> texts, IReadOnlyList<string> specialTokens, int vocabSize, int minFrequency = 2)
    {
        var specials = new Regex(string.Join('|', specialTokens.Select(Regex.Escape)));
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string text in texts)
            foreach (string piece in specials.Split(text))
                foreach (Match m in Split.Matches(piece))
                {
                    string word = ToByteLevel(m.Value);
                    wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
                }

        var vocab = new List<string>(specialTokens);
        var alphabet = ByteToChar.Select(c => c.ToString()).Order(StringComparer.Ordinal).ToList();
        vocab.AddRange(alphabet);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocab.Count; i++) ids[vocab[i]] = i;

        var words = wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => (Symbols: w.Key.Select(c => ids[c.ToString()]).ToList(), Count: w.Value)).ToList();
        var pairCounts = new Dictionary<(int, int), long>();
        var where = new Dictionary<(int, int), HashSet<int>>();
        for (int w = 0; w < words.Count; w++) AddPairs(words[w].Symbols, words[w].Count, w, pairCounts, where);

        var merges = new List<(string, string)>();
        while (vocab.Count < vocabSize)
        {
            (int, int) best = default;
            long bestCount = 0;
            foreach (var (pair, count) in pairCounts)
            {
                if (count > bestCount || (count == bestCount && count > 0 && Compare(pair, best, vocab) < 0))
                {
                    best = pair;
                    bestCount = count;
                }
            }
            if (bestCount < minFrequency) break;

            string merged = vocab[best.Item1] + vocab[best.Item2];
            int newId = vocab.Count;
            vocab.Add(merged);
            ids[merged] = newId;
            merges.Add((vocab[best.Item1], vocab[best.Item2]));
            foreach (int w in where[best].ToList())
            {
                var (symbols, count) = words[w];
                RemovePairs(symbols, count, pairCounts);
                var next = new List<int>(symbols.Count);
                for (int i = 0; i < symbols.Count; i++)
                {
                    if (i + 1 < symbols.Count && symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        next.Add(newId);
                        i++;
                    }
                    else next.Add(symbols[i]);
                }
                words[w] = (next, count);
                AddPairs(next, count, w, pairCounts, where);
            }
            pairCounts.Remove(best);
            where.Remove(best);
        }
        return new BpeModel(specialTokens, vocab, merges);
    }

    public static string ToByteLevel(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    private static int Compare((int, int) a, (int, int) b, List<string> vocab)
    {
        int c = string.CompareOrdinal(vocab[a.Item1], vocab[b.Item1]);
        return c != 0 ? c : string.CompareOrdinal(vocab[a.Item2], vocab[b.Item2]);
    }

    private static void AddPairs(List<int> symbols, long count, int word, Dictionary<(int, int), long> counts, Dictionary<(int, int), HashSet<int>> where)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            var pair = (symbols[i], symbols[i + 1]);
            counts[pair] = counts.GetValueOrDefault(pair) + count;
            if (!where.TryGetValue(pair, out var set)) where[pair] = set = [];
            set.Add(word);
        }
    }

    private static void RemovePairs(List<int> symbols, long count, Dictionary<(int, int), long> counts)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            var pair = (symbols[i], symbols[i + 1]);
            counts[pair] -= count; // stale word sets in `where` are harmless: merging a word without the pair is a no-op
        }
    }

    private static char[] BuildByteTable()
    {
        var table = new char[256];
        var printable = new HashSet<int>();
        for (int b = '!'; b <= '~'; b++) printable.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.Add(b);
        int next = 0;
        for (int b = 0; b < 256; b++) table[b] = printable.Contains(b) ? (char)b : (char)(256 + next++);
        return table;
    }
}
