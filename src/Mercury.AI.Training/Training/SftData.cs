using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using static TorchSharp.torch;

namespace Mercury.AI.Training.Training;

/// <summary>One tokenized example: prompt ids (never masked) and answer ids ending with <c>&lt;|im_end|&gt;&lt;|endoftext|&gt;</c>.</summary>
public sealed record SftExample(int[] Prompt, int[] Answer)
{
    public int Length => Prompt.Length + Answer.Length;

    public static SftExample From(CorpusExample example, HuggingFaceTokenizer tokenizer) =>
        new(tokenizer.Encode(example.Prompt).ToArray(), tokenizer.Encode(ChatFormat.AnswerSuffix(example.Answer)).ToArray());
}

/// <summary>
/// Batches examples of similar length. Each row is padded with EOS to the batch length and the padding belongs to the
/// answer, as in LLaDA's SFT: the model learns to fill the tail of a canvas with EOS, which is how it stops.
/// Batch composition depends only on (seed, step), in any process, so a resumed run sees the same batches.
/// </summary>
public sealed class SftBatcher
{
    /// <summary>Rows are padded to a multiple of this many tokens (and at least this much EOS is possible).</summary>
    public const int Granularity = 32;

    private readonly List<SftExample>[] _buckets;
    private readonly int _eosId;

    public SftBatcher(IEnumerable<SftExample> examples, int maxLength, int eosId)
    {
        _eosId = eosId;
        MaxLength = maxLength;
        _buckets = new List<SftExample>[maxLength / Granularity + 1];
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] = [];
        foreach (var e in examples)
        {
            if (e.Length > maxLength) { Dropped++; continue; }
            _buckets[BucketOf(e.Length)].Add(e);
            Count++;
        }
    }

    public int MaxLength { get; }
    public int Count { get; }
    /// <summary>Examples longer than <see cref="MaxLength"/>, left out.</summary>
    public int Dropped { get; }

    private static int BucketOf(int length) => (length + Granularity - 1) / Granularity;

    /// <summary>The batch for <paramref name="step"/>: a bucket chosen in proportion to its size, rows drawn from it.</summary>
    public (Tensor Ids, Tensor AnswerMask) Sample(int step, int batchSize, int seed)
    {
        var random = new Random(Seeds.MixToInt(seed, step, 0x5eed));
        int roll = random.Next(Count), bucket = 0;
        while (roll >= _buckets[bucket].Count) roll -= _buckets[bucket++].Count;
        var rows = Enumerable.Range(0, batchSize).Select(_ => _buckets[bucket][random.Next(_buckets[bucket].Count)]).ToList();
        // Up to two extra granules of EOS: at inference the answer canvas is longer than most answers, so the model
        // must have seen long EOS tails (LLaDA gets them from padding mixed-length batches to the longest row).
        int length = Math.Min(MaxLength, (bucket + random.Next(0, 3)) * Granularity);
        return Collate(rows, length, _eosId);
    }

    /// <summary>Pads <paramref name="rows"/> with EOS to <paramref name="length"/>: ids [B, T] int64, answer mask [B, T] bool.</summary>
    public static (Tensor Ids, Tensor AnswerMask) Collate(IReadOnlyList<SftExample> rows, int length, int eosId)
    {
        length = Math.Max(length, rows.Max(r => r.Length));
        var ids = new long[rows.Count * length];
        var mask = new bool[rows.Count * length];
        for (int r = 0; r < rows.Count; r++)
        {
            int o = r * length, i = 0;
            foreach (int id in rows[r].Prompt) ids[o + i++] = id;
            foreach (int id in rows[r].Answer) { mask[o + i] = true; ids[o + i++] = id; }
            for (; i < length; i++) { mask[o + i] = true; ids[o + i] = eosId; }
        }
        return (tensor(ids, [rows.Count, length]), tensor(mask, [rows.Count, length]));
    }
}
