using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Engine.Decoding;

/// <summary>How Dream rates a candidate (<c>generation_utils.py</c>, <c>sample_tokens</c>).</summary>
public enum DreamConfidence
{
    /// <summary><c>maskgit_plus</c>: the candidate's probability.</summary>
    MaskGitPlus,

    /// <summary><c>topk_margin</c>: top-1 minus top-2 probability.</summary>
    TopKMargin,

    /// <summary><c>entropy</c>: Σ p·log p (negative entropy; peaked distributions first).</summary>
    Entropy,
}

/// <summary>Dream's candidate scoring: optional temperature, top-p and top-k, then softmax in float32.</summary>
internal static class DreamScoring
{
    public static Tensor Score(Tensor logits, ScoringContext context, DreamConfidence kind)
    {
        var options = context.Options;
        if (options.Temperature > 0) logits = logits / options.Temperature;
        if (options.TopP is { } topP && topP < 1) logits = TopP(logits, topP);
        if (options.TopK is { } topK) logits = TopK(logits, topK);
        var probs = F.softmax(logits, -1);                                                     // [B, L, V]

        Tensor confidence, candidates;
        if (options.Temperature > 0)
        {
            long b = probs.shape[0], l = probs.shape[1], v = probs.shape[2];
            var rows = Enumerable.Range(0, (int)b)
                .Select(r => probs[r].multinomial(1, generator: context.Generators[r]).view(l)).ToArray();
            candidates = stack(rows, 0);
            confidence = probs.gather(-1, candidates.unsqueeze(-1)).squeeze(-1);
        }
        else
        {
            (confidence, candidates) = probs.max(-1);
        }

        if (kind == DreamConfidence.TopKMargin)
        {
            var top2 = probs.topk(2, -1).values;
            confidence = top2.select(-1, 0) - top2.select(-1, 1);
        }
        else if (kind == DreamConfidence.Entropy)
        {
            confidence = (probs * (probs + 1e-10).log()).sum(-1);
        }
        return stack([candidates.to_type(ScalarType.Float64), confidence.to_type(ScalarType.Float64)], 0);
    }

    private static Tensor TopP(Tensor logits, double topP)
    {
        var (sorted, indices) = logits.sort(-1, descending: true);
        var remove = F.softmax(sorted, -1).cumsum(-1) > topP;
        // Shift right to keep the first token above the threshold.
        remove = cat([zeros_like(remove.narrow(-1, 0, 1)), remove.narrow(-1, 0, remove.shape[^1] - 1)], -1);
        var mask = zeros_like(logits, ScalarType.Bool).scatter_(-1, indices, remove);
        return logits.masked_fill(mask, float.MinValue);
    }

    private static Tensor TopK(Tensor logits, int topK)
    {
        int k = (int)Math.Min(topK, logits.shape[^1]);
        var kth = logits.topk(k, -1).values.narrow(-1, k - 1, 1);
        return logits.masked_fill(logits < kth, float.MinValue);
    }
}

/// <summary>
/// Dream's default samplers (<c>alg</c> = maskgit_plus, topk_margin, entropy; https://hkunlp.github.io/blog/2025/dream):
/// times t_i = linspace(1, eps, steps + 1); step i commits int(masks · (1 − t_{i+1}/t_i)) of the most confident
/// candidates (all that remain on the last step). With <paramref name="AlgTemperature"/> &gt; 0 the committed
/// positions are drawn from softmax(confidence / alg_temp) instead.
/// </summary>
public sealed record DreamRemasking(DreamConfidence Confidence = DreamConfidence.MaskGitPlus, double Eps = 1e-3, double AlgTemperature = 0) : UnmaskingPolicy
{
    internal override Tensor Score(Tensor logits, ScoringContext context) => DreamScoring.Score(logits, context, Confidence);

    internal override BlockPlan BeginBlock(int maskCount, int steps, int seed) => new LinspacePlan(steps, Eps, AlgTemperature, seed);

    private sealed class LinspacePlan : BlockPlan
    {
        private readonly float[] _t;
        private readonly double _algTemperature;
        private readonly Random _random;

        public override int MaxSteps => _t.Length - 1;

        // Dream's sampler makes exactly `steps` calls; a position whose candidate was the mask token stays masked.
        public override bool HasStep(int step) => step < _t.Length - 1;

        public LinspacePlan(int steps, double eps, double algTemperature, int seed)
        {
            _random = new Random(seed);
            // torch.linspace in float32, read back, so the schedule matches the reference bit for bit.
            using var t = linspace(1, eps, steps + 1, ScalarType.Float32);
            _t = t.data<float>().ToArray();
            _algTemperature = algTemperature;
        }

        public override void Choose(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked, int step, Span<bool> commit)
        {
            int masks = CountMasked(masked);
            int steps = _t.Length - 1;
            // float32 arithmetic, as the reference computes it on tensors, then truncation by int().
            int k = step < steps - 1 ? (int)(masks * (1f - _t[step + 1] / _t[step])) : masks;
            if (k <= 0) return;
            if (_algTemperature == 0)
            {
                var ranked = Ranked(confidence, masked);
                for (int j = 0; j < Math.Min(k, ranked.Length); j++) commit[ranked[j]] = true;
                return;
            }
            // Sample k positions without replacement, proportional to softmax(confidence / alg_temp).
            var weights = new double[masked.Length];
            double max = double.NegativeInfinity;
            for (int j = 0; j < masked.Length; j++) if (masked[j]) max = Math.Max(max, confidence[j] / _algTemperature);
            for (int j = 0; j < masked.Length; j++) weights[j] = masked[j] ? Math.Exp(confidence[j] / _algTemperature - max) : 0;
            for (int draw = 0; draw < k; draw++)
            {
                double u = _random.NextDouble() * weights.Sum();
                int chosen = Array.FindLastIndex(weights, w => w > 0);
                for (int j = 0; j < weights.Length; j++)
                {
                    if (weights[j] <= 0) continue;
                    u -= weights[j];
                    if (u <= 0) { chosen = j; break; }
                }
                commit[chosen] = true;
                weights[chosen] = 0;
            }
        }
    }
}

/// <summary>
/// Fast-dLLM's <c>confidence_threshold</c> for Dream: each step may commit masks/steps candidates (plus any carried
/// over); the most confident always, the others only if their probability is at least <paramref name="Threshold"/>.
/// Declined ones carry over; if some are declined at the last step, the loop runs one more step for them. A candidate
/// that is the mask token is committed as such (the position stays masked) and not carried, as in the reference.
/// </summary>
public sealed record DreamConfidenceThreshold(double Threshold = 0.9) : UnmaskingPolicy
{
    internal override Tensor Score(Tensor logits, ScoringContext context) => DreamScoring.Score(logits, context, DreamConfidence.MaskGitPlus);

    internal override BlockPlan BeginBlock(int maskCount, int steps, int seed) => new CarryPlan(maskCount, steps, Threshold);

    private sealed class CarryPlan(int maskCount, int steps, double threshold) : BlockPlan
    {
        private int _steps = Math.Max(1, steps);
        private int _carried;
        private bool _scheduleSpent;

        // Each extra step commits its best candidate and carries fewer than it was given, so at most maskCount extra steps.
        public override int MaxSteps => Math.Max(1, steps) + maskCount;

        public override bool HasStep(int step) => step < _steps;

        public override void Choose(ReadOnlySpan<double> confidence, ReadOnlySpan<bool> masked, int step, Span<bool> commit)
        {
            int perStep = maskCount / Math.Max(1, steps) + (step < maskCount % Math.Max(1, steps) ? 1 : 0);
            var ranked = Ranked(confidence, masked);
            int k = Math.Min((_scheduleSpent ? 0 : perStep) + _carried, ranked.Length);
            _carried = 0;
            // The reference compares a float32 probability with the threshold in float32.
            float limit = (float)threshold;
            for (int j = 0; j < k; j++)
            {
                if (j == 0 || (float)confidence[ranked[j]] >= limit)
                {
                    commit[ranked[j]] = true;
                    continue;
                }
                _carried++;
                if (step >= _steps - 1)
                {
                    _scheduleSpent = true;
                    _steps++;
                }
            }
        }
    }
}
