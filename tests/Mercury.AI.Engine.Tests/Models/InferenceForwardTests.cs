using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Models;

/// <summary>
/// The inference forward (fused buffers, in-place residual, RoPE as a matmul) against the training forward (plain
/// out-of-place ops, RoPE elementwise) on the same weights, over the inputs the decoder really feeds: padded batches
/// with per-row positions, and dual-cache steps that scatter a block into the cache.
/// </summary>
public class InferenceForwardTests
{
    private const double Tolerance = 2e-5;

    [Theory]
    [InlineData("llada-tiny", false)]
    [InlineData("dream-tiny", false)]
    [InlineData("llada-tiny", true)]  // RoPE's elementwise fallback, used past the matrices' memory budget
    [InlineData("dream-tiny", true)]
    public void Inference_forward_equals_the_training_forward(string fixture, bool elementwiseRope)
    {
        using var inference = ModelLoader.Load(Fixtures.Path(fixture));
        using var training = ModelLoader.Create(inference.Config, new ModelBuildOptions { Trainable = true });
        using (var checkpoint = CheckpointFolder.Open(Fixtures.Path(fixture))) ModelLoader.LoadWeights(training, checkpoint);
        using var noGrad = no_grad();
        InferenceForward.t_ropeBudgetOverride = elementwiseRope ? 0 : null;
        try
        {
            var (ids, _) = ForwardParityTests.Golden(fixture, "logits");                              // [2, 24]
            // Row 1 is left-padded by 5: key mask and per-row RoPE positions, as the decoder batches prompts.
            var keyMask = ones([2, 24], ScalarType.Bool);
            keyMask[1, ..5] = false;
            var positions = keyMask.to_type(ScalarType.Int64).cumsum(-1).sub_(1).clamp_min_(0);
            var full = new ForwardOptions { KeyMask = keyMask, PositionIds = positions };
            AssertClose(training.Forward(ids, full), inference.Forward(ids, full));

            // Dual cache: fill, then feed 8 tokens per row at different columns per row.
            using var trainingCache = training.CreateCache(2, 24);
            using var inferenceCache = inference.CreateCache(2, 24);
            using (training.Forward(ids, new ForwardOptions { Cache = trainingCache, KeyMask = keyMask, PositionIds = positions })) { }
            using (inference.Forward(ids, new ForwardOptions { Cache = inferenceCache, KeyMask = keyMask, PositionIds = positions })) { }
            var columns = stack([arange(8, 16, ScalarType.Int64), arange(12, 20, ScalarType.Int64)]);
            var block = ids.gather(1, columns).fill_(inference.Config.MaskTokenId);
            ForwardOptions Step(KvCache cache) => new()
            {
                Cache = cache, CacheColumns = columns, KeyMask = keyMask, PositionIds = positions.gather(1, columns), LogitsLength = 8,
            };
            AssertClose(training.Forward(block, Step(trainingCache)), inference.Forward(block, Step(inferenceCache)));
        }
        finally
        {
            InferenceForward.t_ropeBudgetOverride = null;
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff < Tolerance, $"max |diff| {diff:E2} >= {Tolerance:E0}");
    }
}
