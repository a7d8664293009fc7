using System.Text.Json.Nodes;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Models;

/// <summary>
/// Tensor ops per layer in a cached decoding step, counted as the tensors the step creates (every TorchSharp op
/// that returns a new tensor, view or kernel, is counted by the dispose-scope statistics; in-place ops count 0).
/// On a GPU each kernel costs ~12 µs of launch overhead, so this count, not FLOPs, bounds a cached step there.
/// </summary>
/// <remarks>
/// The count leaves out in-place calls, which cost a launch too; they are listed here so the budget cannot hide
/// them. LLaDA bf16, per layer (<c>InferenceForward.Block</c>): created — square, sum, x·w (attention norm), the
/// float32 copy of q/k and its RoPE matmul, attention, square, sum, x·w (MLP norm): 9; in place — add_ eps, sqrt_,
/// div_ (norm), addmm_ QKV, copy_ RoPE back, scatter_ K/V into the cache, copy_ attention output, addmm_ o_proj onto
/// the residual, add_/sqrt_/div_ (norm), addmm_ gate-up, silu_, mul_, addmm_ down onto the residual: 15. 24 calls.
/// In f32 a norm is vector_norm, hypot, x·w, div_ (no float32 copy for RoPE): 8 created + 11 in place = 19 calls.
/// Dream adds its QKV bias (add_), the grouped-query copy_ and a view of the attention output: 9 + 13 = 22 (f32),
/// 9 + 17 = 26 (bf16). Before this layout the same step made 24–30 tensors plus 13 in-place calls (37–43 calls).
/// </remarks>
public class OpBudgetTests
{
    /// <summary>The budget per layer this engine commits to (kernels and views both count), for both families.</summary>
    public static int BudgetPerLayer(ScalarType dtype) => 9;

    public static int OpsPerLayer(ModelArchitecture architecture, CacheModeForCount mode, ScalarType dtype = ScalarType.Float32)
    {
        int Count(int layers)
        {
            var config = Config(architecture, layers);
            using var model = ModelLoader.Create(config, new ModelBuildOptions { DType = dtype });
            using var cache = model.CreateCache(1, 64);
            using var ids = zeros([1, 64], ScalarType.Int64);
            using (model.Forward(ids, new ForwardOptions { Cache = cache })) { }
            // The decoder's dual-cache step (ContinuousBatch): the block's 8 tokens written into their cache columns,
            // attending to the whole cache under a key mask (padding of batched rows).
            using var block = zeros([1, 8], ScalarType.Int64);
            using var columns = arange(32, 40, ScalarType.Int64).view(1, 8);
            using var keyMask = ones([1, 64], ScalarType.Bool);
            var stats = DisposeScopeManager.Statistics.TensorStatistics;
            using var scope = NewDisposeScope();
            long before = stats.CreatedInScopeCount;
            model.Forward(block, new ForwardOptions { Cache = cache, CacheColumns = columns, KeyMask = keyMask, Offset = 32, LogitsLength = 8 });
            return (int)(stats.CreatedInScopeCount - before);
        }
        return (Count(4) - Count(2)) / 2;
    }

    public enum CacheModeForCount { Dual }

    [Theory]
    [InlineData(ModelArchitecture.LLaDA, ScalarType.Float32)]
    [InlineData(ModelArchitecture.Dream, ScalarType.Float32)]
    [InlineData(ModelArchitecture.LLaDA, ScalarType.BFloat16)] // + the float32 copy of q/k for LLaDA's rope_full_precision
    [InlineData(ModelArchitecture.Dream, ScalarType.BFloat16)]
    public void Cached_step_stays_within_the_op_budget_per_layer(ModelArchitecture architecture, ScalarType dtype)
    {
        int ops = OpsPerLayer(architecture, CacheModeForCount.Dual, dtype);
        Console.WriteLine($"{architecture} {dtype}: {ops} tensor ops per layer in a dual-cache step");
        Assert.InRange(ops, 1, BudgetPerLayer(dtype));
    }

    internal static ModelConfig Config(ModelArchitecture architecture, int layers) => ModelConfig.FromJson(architecture == ModelArchitecture.LLaDA
        ? new JsonObject
        {
            ["model_type"] = "llada", ["d_model"] = 64, ["n_heads"] = 4, ["n_kv_heads"] = 4, ["n_layers"] = layers,
            ["mlp_hidden_size"] = 128, ["vocab_size"] = 128, ["max_sequence_length"] = 128, ["mask_token_id"] = 127, ["eos_token_id"] = 126,
        }
        : new JsonObject
        {
            ["model_type"] = "Dream", ["hidden_size"] = 64, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2,
            ["num_hidden_layers"] = layers, ["intermediate_size"] = 128, ["vocab_size"] = 128, ["max_position_embeddings"] = 128,
            ["mask_token_id"] = 127, ["eos_token_id"] = 126,
        });
}
