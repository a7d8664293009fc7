using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Engine.Tests.Decoding;

/// <summary>
/// Line-by-line transcriptions of the reference samplers (greedy, batch 1) over any <see cref="IDiffusionLanguageModel"/>,
/// written independently of the engine's step loop, to derive what the references do in cases the golden fixtures do
/// not cover, such as a model that predicts its own mask token. Where a reference never ends or crashes (Fast-dLLM's
/// loops run "while the block holds a mask" and index its schedule past the end), the transcription stops where the
/// engine documents it stops, and says so at that line.
/// </summary>
internal static class ReferenceSamplers
{
    /// <summary>What a reference run produced: the canvas (prompt + answer), its model calls, and how many of its
    /// commits wrote the mask token (the model predicted it).</summary>
    public sealed record Run(long[] Canvas, int Calls, int MaskCommits);

    /// <summary>ML-GSAI/LLaDA <c>generate.py</c>, remasking='low_confidence', temperature 0: every block gets
    /// steps/blocks calls; each ranks every mask before the block's end by softmax probability and commits the
    /// scheduled count.</summary>
    public static Run LLaDA(IDiffusionLanguageModel model, int[] prompt, int genLength, int steps, int blockLength)
    {
        var x = Canvas(model, prompt, genLength);
        int mask = model.Config.MaskTokenId, blocks = genLength / blockLength, perBlock = steps / blocks, calls = 0, maskCommits = 0;
        for (int b = 0; b < blocks; b++)
        {
            int end = prompt.Length + (b + 1) * blockLength;
            var counts = Schedule(CountMasks(x, end - blockLength, end, mask), perBlock);
            for (int i = 0; i < perBlock; i++)
            {
                var (x0, p) = Greedy(model, x, shift: false);
                calls++;
                var confidence = x.Select((t, j) => t == mask && j < end ? p[j] : double.NegativeInfinity).ToArray();
                maskCommits += Transfer(x, x0, TopK(confidence, counts[i]), mask);
            }
        }
        return new Run(x, calls, maskCommits);
    }

    /// <summary>NVlabs Fast-dLLM <c>generate</c> (no cache) or <c>generate_with_dual_cache</c>, low_confidence,
    /// temperature 0, with or without a threshold.</summary>
    public static Run FastDllm(IDiffusionLanguageModel model, int[] prompt, int genLength, int steps, int blockLength, double? threshold, bool dualCache)
    {
        var x = Canvas(model, prompt, genLength);
        int mask = model.Config.MaskTokenId, blocks = genLength / blockLength, perBlock = steps / blocks, calls = 0, maskCommits = 0;
        for (int b = 0; b < blocks; b++)
        {
            int start = prompt.Length + b * blockLength, end = start + blockLength, n = CountMasks(x, start, end, mask);
            var counts = Schedule(n, perBlock);
            using var cache = dualCache ? model.CreateCache(1, x.Length) : null;
            for (int i = 0; ; i++)
            {
                if (i > 0 && CountMasks(x, start, end, mask) == 0) break;
                // Fast-dLLM indexes num_transfer_tokens[:, i] here and fails (IndexError) once a block's steps are spent
                // with a mask left; the engine stops the block there, as LLaDA's generate.py does.
                if (threshold is null && i == perBlock) break;
                // With a threshold the reference loops until the block has no mask, forever if the model keeps choosing
                // its mask token; the engine stops after as many calls as the block had masks.
                if (threshold is not null && i == Math.Max(1, n)) break;
                bool full = cache is null || i == 0;
                int from = full ? 0 : start;
                var (x0, p) = full ? Greedy(model, x, shift: false, cache) : GreedyBlock(model, x, start, end, cache!);
                calls++;
                // Full calls rank every mask before the block's end; cached calls see only the block.
                var confidence = x.Select((t, j) => t == mask && j < end && j >= from ? p[j] : double.NegativeInfinity).ToArray();
                int candidates = confidence.Count(c => !double.IsNegativeInfinity(c));
                var chosen = TopK(confidence, threshold is null ? counts[i] : candidates);
                if (threshold is { } limit) chosen = chosen.Where((j, k) => k == 0 || confidence[j] >= limit).ToArray();
                maskCommits += Transfer(x, x0, chosen, mask);
            }
        }
        return new Run(x, calls, maskCommits);
    }

    public enum DreamAlgorithm { MaskGitPlus, TopKMargin, Entropy, ConfidenceThreshold }

    /// <summary>Dream's <c>_sample</c> (Fast-dLLM's copy of <c>generation_utils.py</c>), temperature 0, alg_temp 0: a
    /// fixed number of calls, each on the shifted logits of the whole canvas; confidence_threshold carries declined
    /// candidates and adds a step when it declines one on the last.</summary>
    public static Run Dream(IDiffusionLanguageModel model, int[] prompt, int newTokens, int steps, DreamAlgorithm algorithm, double threshold = 0.9)
    {
        var x = Canvas(model, prompt, newTokens);
        int mask = model.Config.MaskTokenId, calls = 0, maskCommits = 0;
        using var t = linspace(1, 1e-3, steps + 1, ScalarType.Float32);
        var timesteps = t.data<float>().ToArray();
        int perStep = newTokens / steps, left = 0;
        for (int i = 0; i < steps; i++)
        {
            var (x0, confidence) = DreamScores(model, x, algorithm);
            calls++;
            for (int j = 0; j < x.Length; j++) if (x[j] != mask) confidence[j] = double.NegativeInfinity;
            int masks = x.Count(v => v == mask);
            if (algorithm == DreamAlgorithm.ConfidenceThreshold)
            {
                int k = perStep + left;
                left = 0;
                var selected = TopK(confidence, k);
                var chosen = selected.ToList();
                for (int kk = 1; kk < k; kk++)
                {
                    if ((float)confidence[selected[kk]] >= (float)threshold) continue;
                    if (i >= steps - 1)
                    {
                        perStep = 0;
                        steps++;
                    }
                    left++;
                    chosen.Remove(selected[kk]);
                }
                maskCommits += Transfer(x, x0, chosen, mask);
            }
            else
            {
                int k = i < steps - 1 ? (int)(masks * (1f - timesteps[i + 1] / timesteps[i])) : masks;
                if (k > 0) maskCommits += Transfer(x, x0, TopK(confidence, k), mask);
            }
        }
        return new Run(x, calls, maskCommits);
    }

    private static long[] Canvas(IDiffusionLanguageModel model, int[] prompt, int newTokens) =>
        prompt.Select(p => (long)p).Concat(Enumerable.Repeat((long)model.Config.MaskTokenId, newTokens)).ToArray();

    /// <summary>LLaDA's get_num_transfer_tokens: n // steps per step, one more in the first n % steps.</summary>
    private static int[] Schedule(int n, int steps) => Enumerable.Range(0, steps).Select(i => n / steps + (i < n % steps ? 1 : 0)).ToArray();

    private static int CountMasks(long[] x, int from, int to, int mask) => x.Skip(from).Take(to - from).Count(t => t == mask);

    /// <summary>torch.topk's indices for distinct values (ties by position).</summary>
    private static int[] TopK(double[] values, int k) =>
        values.Select((v, j) => (v, j)).OrderByDescending(p => p.v).ThenBy(p => p.j).Take(k).Select(p => p.j).ToArray();

    /// <summary><c>x[transfer] = x0[transfer]</c> for the chosen masks; returns how many wrote the mask token. (The
    /// references' top-k never reaches past the masks here: each step's count is at most the masks left.)</summary>
    private static int Transfer(long[] x, long[] x0, IEnumerable<int> chosen, int mask)
    {
        int maskCommits = 0;
        foreach (int j in chosen)
        {
            if (x[j] != mask) continue;
            x[j] = x0[j];
            if (x0[j] == mask) maskCommits++;
        }
        return maskCommits;
    }

    /// <summary>Argmax and its float64 softmax probability at every position of the whole canvas.</summary>
    private static (long[] X0, double[] P) Greedy(IDiffusionLanguageModel model, long[] x, bool shift, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        using var ids = tensor(x).view(1, -1);
        var logits = model.Forward(ids, new ForwardOptions { Cache = cache })[0];                  // [L, V]
        return ArgmaxAndProbability(logits);
    }

    /// <summary>The dual-cache step: only the block's tokens are fed, written into the cache at their columns.</summary>
    private static (long[] X0, double[] P) GreedyBlock(IDiffusionLanguageModel model, long[] x, int start, int end, KvCache cache)
    {
        using var scope = NewDisposeScope();
        using var ids = tensor(x[start..end]).view(1, -1);
        var columns = arange(start, end, ScalarType.Int64).view(1, -1);
        var logits = model.Forward(ids, new ForwardOptions { Cache = cache, CacheColumns = columns, PositionIds = columns })[0];
        var (blockX0, blockP) = ArgmaxAndProbability(logits);
        var x0 = (long[])x.Clone();
        var p = new double[x.Length];
        blockX0.CopyTo(x0, start);
        blockP.CopyTo(p, start);
        return (x0, p);
    }

    private static (long[] X0, double[] P) ArgmaxAndProbability(Tensor logits)
    {
        var x0 = logits.argmax(-1);
        var p = F.softmax(logits.to_type(ScalarType.Float64), -1).gather(-1, x0.unsqueeze(-1)).squeeze(-1);
        return (x0.data<long>().ToArray(), p.data<double>().ToArray());
    }

    /// <summary>Dream's sample_tokens on the shifted logits (position i from i - 1), float32 softmax.</summary>
    private static (long[] X0, double[] Confidence) DreamScores(IDiffusionLanguageModel model, long[] x, DreamAlgorithm algorithm)
    {
        using var scope = NewDisposeScope();
        using var ids = tensor(x).view(1, -1);
        var logits = model.Forward(ids)[0];                                                       // [L, V]
        logits = cat([logits.narrow(0, 0, 1), logits.narrow(0, 0, logits.shape[0] - 1)], 0);
        var probs = F.softmax(logits, -1);
        var (confidence, x0) = probs.max(-1);
        if (algorithm == DreamAlgorithm.TopKMargin)
        {
            var top2 = probs.topk(2, -1).values;
            confidence = top2.select(-1, 0) - top2.select(-1, 1);
        }
        else if (algorithm == DreamAlgorithm.Entropy)
        {
            confidence = (probs * (probs + 1e-10).log()).sum(-1);
        }
        return (x0.data<long>().ToArray(), confidence.to_type(ScalarType.Float64).data<double>().ToArray());
    }
}
