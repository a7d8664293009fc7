using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Decoding;

/// <summary>
/// A masked-diffusion decoding policy: how a step turns logits into candidate tokens with a confidence each
/// (<see cref="Score"/>, on the device), and which masked candidates of the current block it commits
/// (<see cref="BeginBlock"/>, a small host-side plan per row and block). Policies are picked by type, e.g.
/// <c>new LowConfidenceRemasking()</c> or <c>new ConfidenceThresholdRemasking(0.9)</c>.
/// </summary>
public abstract record UnmaskingPolicy
{
    /// <summary>Scores a block's logits <c>[B, L, V]</c> (float32, already shifted for Dream). Returns candidates and
    /// confidences, both <c>[B, L]</c> as float64 (token ids are exact in float64), stacked <c>[2, B, L]</c> so the
    /// caller reads them with one device-to-host copy.</summary>
    internal abstract Tensor Score(Tensor logits, ScoringContext context);

    /// <summary>A fresh plan for one row's block holding <paramref name="maskCount"/> masks decoded in <paramref name="steps"/> steps; <paramref name="seed"/> seeds any host-side draw.</summary>
    internal abstract BlockPlan BeginBlock(int maskCount, int steps, int seed);
}

/// <summary>Per-request inputs of <see cref="UnmaskingPolicy.Score"/>.</summary>
internal sealed class ScoringContext
{
    public required DiffusionOptions Options { get; init; }

    /// <summary>One generator per batch row, so a row's random draws do not depend on its batch neighbours.</summary>
    public required Generator[] Generators { get; init; }

    public required IReadOnlyList<int> EndTokenIds { get; init; }

    /// <summary>Uniform noise <c>[L, ...]</c> per row, stacked into <c>[B, L, ...]</c>.</summary>
    public Tensor RowRand(long[] rowShape, ScalarType dtype, Device device)
    {
        var rows = Generators.Select(g => rand(rowShape, dtype, device, generator: g)).ToArray();
        return stack(rows, 0);
    }
}

/// <summary>One row's commit plan for one block.</summary>
internal abstract class BlockPlan
{
    /// <summary>Sets <paramref name="commit"/>[j] for the block positions to commit at <paramref name="step"/>.</summary>
    public abstract void Choose(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked, int step, Span<bool> commit);

    /// <summary>The masked positions ordered by confidence, highest first (ties by position, as a stable top-k).</summary>
    protected static int[] Ranked(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked)
    {
        var order = new List<int>();
        for (int j = 0; j < masked.Length; j++) if (masked[j]) order.Add(j);
        var conf = confidence.ToArray();
        order.Sort((a, b) => conf[b].CompareTo(conf[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order.ToArray();
    }

    protected static int CountMasked(ReadOnlySpan<bool> masked)
    {
        int n = 0;
        foreach (bool m in masked) if (m) n++;
        return n;
    }
}
