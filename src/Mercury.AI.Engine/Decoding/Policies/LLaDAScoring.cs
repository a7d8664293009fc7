using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Engine.Decoding;

/// <summary>
/// LLaDA's candidate and confidence (<c>generate.py</c>): candidate = argmax of the logits, or with temperature the
/// Gumbel-max <c>argmax(exp(l) / (−log u)^T)</c> in float64 (low-precision Gumbel hurts quality,
/// arXiv:2409.02908); confidence = float64 softmax probability of the candidate, or uniform noise for random remasking.
/// </summary>
internal static class LLaDAScoring
{
    public static Tensor Score(Tensor logits, ScoringContext context, bool randomConfidence)
    {
        var options = context.Options;
        if (options.LogitsEosInf && context.EndTokenIds.Count > 0)
            logits = logits.index_fill(-1, tensor(new long[] { context.EndTokenIds[0] }, device: logits.device), double.NegativeInfinity);

        Tensor candidates;
        if (options.Temperature == 0)
        {
            candidates = logits.argmax(-1);
        }
        else
        {
            var logits64 = logits.to_type(ScalarType.Float64);
            var noise = context.RowRand(logits.shape[1..], ScalarType.Float64, logits.device);
            candidates = logits64.exp().div_(noise.log_().neg_().pow_(options.Temperature)).argmax(-1);
        }

        Tensor confidence = randomConfidence
            ? context.RowRand([logits.shape[1]], ScalarType.Float64, logits.device)
            : F.softmax(logits.to_type(ScalarType.Float64), -1).gather(-1, candidates.unsqueeze(-1)).squeeze(-1);

        if (options.ConfidenceEosEotInf && context.EndTokenIds.Count > 0)
        {
            var ends = tensor(context.EndTokenIds.Select(i => (long)i).ToArray(), device: logits.device);
            confidence = confidence.masked_fill(isin(candidates, ends), double.NegativeInfinity);
        }
        return stack([candidates.to_type(ScalarType.Float64), confidence], 0);
    }
}

/// <summary>
/// LLaDA low-confidence remasking (arXiv:2502.09992, Alg. 5): a block with n masks and s steps commits
/// n // s tokens per step, one more in the first n % s steps (the linear schedule of Eq. 8), choosing the
/// most confident candidates.
/// </summary>
public sealed record LowConfidenceRemasking : UnmaskingPolicy
{
    internal override Tensor Score(Tensor logits, ScoringContext context) => LLaDAScoring.Score(logits, context, randomConfidence: false);

    internal override BlockPlan BeginBlock(int maskCount, int steps, int seed) => new ScheduledPlan(maskCount, steps);
}

/// <summary>LLaDA random remasking: the same schedule, but which candidates are committed is drawn at random.</summary>
public sealed record RandomRemasking : UnmaskingPolicy
{
    internal override Tensor Score(Tensor logits, ScoringContext context) => LLaDAScoring.Score(logits, context, randomConfidence: true);

    internal override BlockPlan BeginBlock(int maskCount, int steps, int seed) => new ScheduledPlan(maskCount, steps);
}

/// <summary>
/// Fast-dLLM confidence-threshold parallel decoding (arXiv:2505.22618, §3.3): every step commits the most
/// confident masked candidate of the block and every other one whose probability is at least
/// <paramref name="Threshold"/>; the block runs until it holds no mask. Fast-dLLM's loop never ends when the model
/// keeps predicting its own mask token there; this policy stops such a block after as many steps as it had masks, the
/// most a block needs while every step commits a token.
/// </summary>
public sealed record ConfidenceThresholdRemasking(double Threshold = 0.9) : UnmaskingPolicy
{
    internal override Tensor Score(Tensor logits, ScoringContext context) => LLaDAScoring.Score(logits, context, randomConfidence: false);

    internal override BlockPlan BeginBlock(int maskCount, int steps, int seed) => new ThresholdPlan(Threshold, maskCount);

    private sealed class ThresholdPlan(double threshold, int maskCount) : BlockPlan
    {
        public override int MaxSteps => Math.Max(1, maskCount);

        public override bool HasStep(int step) => step < MaxSteps;

        public override void Choose(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked, int step, Span<bool> commit)
        {
            var ranked = Ranked(confidence, masked);
            for (int k = 0; k < ranked.Length; k++)
                commit[ranked[k]] = k == 0 || confidence[ranked[k]] >= threshold;
        }
    }
}

/// <summary>Commits the scheduled number of most confident masked candidates at each step, for exactly the scheduled
/// steps (LLaDA's steps per block): where the model chose its mask token the position stays masked.</summary>
internal sealed class ScheduledPlan : BlockPlan
{
    private readonly int[] _counts;

    public ScheduledPlan(int maskCount, int steps)
    {
        _counts = new int[Math.Max(1, steps)];
        for (int i = 0; i < _counts.Length; i++) _counts[i] = maskCount / _counts.Length + (i < maskCount % _counts.Length ? 1 : 0);
    }

    public override int MaxSteps => _counts.Length;

    public override bool HasStep(int step) => step < _counts.Length;

    public override void Choose(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked, int step, Span<bool> commit)
    {
        var ranked = Ranked(confidence, masked);
        for (int j = 0; j < Math.Min(_counts[step], ranked.Length); j++) commit[ranked[j]] = true;
    }
}
