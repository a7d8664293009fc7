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

/// <summary>
/// One row's commit plan for one block. The step loop runs a block while <see cref="HasStep"/> says so and a mask is
/// left in it; each step the plan picks, among the step's candidates (the block's masked positions, plus masks left in
/// earlier blocks when the step ran the whole canvas), which to commit. A committed candidate can be the mask token
/// itself (the model predicted it): the position stays masked, as in the reference samplers.
/// </summary>
internal abstract class BlockPlan
{
    /// <summary>Whether the reference sampler makes call number <paramref name="step"/> (0-based) for this block.</summary>
    public abstract bool HasStep(int step);

    /// <summary>A bound on <see cref="HasStep"/>: the step loop's hard cap on calls per block.</summary>
    public abstract int MaxSteps { get; }

    /// <summary>Sets <paramref name="commit"/>[j] for the candidates to commit at <paramref name="step"/>.</summary>
    public abstract void Choose(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked, int step, Span<bool> commit);

    [ThreadStatic] private static double[]? t_confidence;
    [ThreadStatic] private static int[]? t_order;
    [ThreadStatic] private static Comparison<int>? t_byConfidence;

    /// <summary>The masked candidates by confidence, highest first (ties by position, as a stable top-k). The span is
    /// scratch of this thread, valid until the next call: no allocation per step.</summary>
    protected static ReadOnlySpan<int> Ranked(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked)
    {
        if (t_confidence is null || t_confidence.Length < confidence.Length)
        {
            t_confidence = new double[Math.Max(64, confidence.Length)];
            t_order = new int[t_confidence.Length];
        }
        confidence.CopyTo(t_confidence);
        t_byConfidence ??= (a, b) => t_confidence![b].CompareTo(t_confidence[a]) is var c && c != 0 ? c : a.CompareTo(b);
        int n = 0;
        for (int j = 0; j < masked.Length; j++) if (masked[j]) t_order![n++] = j;
        var order = t_order.AsSpan(0, n);
        order.Sort(t_byConfidence);
        return order;
    }

    protected static int CountMasked(ReadOnlySpan<bool> masked)
    {
        int n = 0;
        foreach (bool m in masked) if (m) n++;
        return n;
    }
}
