using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Training.Training;

/// <summary>
/// LLaDA's SFT objective (https://arxiv.org/abs/2502.09992, eq. 5 and Appendix B.1; <c>GUIDELINES.md</c> of ML-GSAI/LLaDA):
/// per sequence draw t ~ U(0, 1), mask each answer token with probability p = (1 − ε)·t + ε (the prompt is never masked),
/// and take the cross-entropy on the masked tokens weighted by 1/p, each sequence normalised by its answer length
/// (EOS padding counts as answer), averaged over the batch.
/// </summary>
public static class DiffusionObjective
{
    /// <summary>LLaDA's <c>forward_process</c> floor, so p never reaches 0.</summary>
    public const double Eps = 1e-3;

    /// <param name="forward">Logits [B, T, V] for ids [B, T]: the engine's forward at evaluation, <see cref="TrainingForward"/> in training.</param>
    /// <param name="ids">[B, T] int64 clean tokens.</param>
    /// <param name="answerMask">[B, T] bool, true on answer positions (answer, end of turn, EOS padding).</param>
    /// <param name="maskRatio">Fixed p for every row (evaluation); null draws t per row.</param>
    /// <param name="countMask">[B, T] bool: a second accuracy is counted here (e.g. answer text without EOS padding); null = all masked positions.</param>
    public static DiffusionLoss Compute(Func<Tensor, Tensor> forward, int maskTokenId, Tensor ids, Tensor answerMask, Generator generator, double? maskRatio = null,
        Tensor? countMask = null)
    {
        long b = ids.shape[0], t = ids.shape[1];
        using var scope = NewDisposeScope();
        var p = maskRatio is { } r
            ? full([b, 1], r, ScalarType.Float32, ids.device)
            : rand([b, 1], ScalarType.Float32, CPU, generator: generator).to(ids.device) * (1 - Eps) + Eps;   // [B, 1]
        var draw = rand([b, t], ScalarType.Float32, CPU, generator: generator).to(ids.device);                // [B, T]
        var masked = (draw < p).logical_and(answerMask);                                                          // [B, T]
        var noisy = where(masked, full_like(ids, maskTokenId), ids);                               // [B, T]
        var logits = forward(noisy);                                                                        // [B, T, V]
        long v = logits.shape[2];
        var tokenLoss = F.cross_entropy(logits.view(b * t, v), ids.view(b * t), reduction: nn.Reduction.None).view(b, t);
        var answerLength = answerMask.sum(1, keepdim: true, type: ScalarType.Float32);                           // [B, 1]
        var weight = masked.to_type(ScalarType.Float32) / p / answerLength;                                      // [B, T]
        var loss = (tokenLoss * weight).sum() / b;
        var hits = logits.argmax(-1).eq(ids).logical_and(masked);
        long correct = hits.sum().item<long>(), count = masked.sum().item<long>();
        long countedCorrect = correct, counted = count;
        if (countMask is not null)
        {
            countedCorrect = hits.logical_and(countMask).sum().item<long>();
            counted = masked.logical_and(countMask).sum().item<long>();
        }
        return new DiffusionLoss(loss.MoveToOuterDisposeScope(), correct, count, countedCorrect, counted);
    }
}

/// <summary>The loss (a scalar with gradients), how many masked tokens the model got right, and the same count
/// restricted to the count mask (equal to the totals without one).</summary>
public sealed record DiffusionLoss(Tensor Loss, long Correct, long Masked, long CountedCorrect, long Counted) : IDisposable
{
    public void Dispose() => Loss.Dispose();
}
