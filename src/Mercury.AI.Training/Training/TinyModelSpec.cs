using System.Text.Json.Nodes;
using Mercury.AI.Engine.Models;

namespace Mercury.AI.Training.Training;

/// <summary>
/// The shape of the model the trainer builds, written as a LLaDA <c>config.json</c> so the engine's normal loader (and
/// LLaDA's own <c>modeling_llada.py</c>) read it. Defaults: the CPU configuration of mercury-coder-tiny.
/// </summary>
public sealed record TinyModelSpec
{
    /// <summary>Width 256: v1's 192 memorised its templates but did not generalise; v2's compositional corpus
    /// needs more capacity, and 256 still trains at a few thousand tokens/s on 2 CPU cores.</summary>
    public int DModel { get; init; } = 256;
    public int Layers { get; init; } = 5;
    /// <summary>Head dim 64 (256 / 4), as in LLaDA-8B.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>SwiGLU hidden size ≈ 8/3 · d_model, rounded to a multiple of 64.</summary>
    public int MlpHidden { get; init; } = 704;
    /// <summary>Positions the model supports: room for several declared tools, a refinement turn with test output,
    /// or a page (the trainer uses at most <c>MaxTrainLength</c> of them).</summary>
    public int MaxSequenceLength { get; init; } = 2048;
    public double RopeTheta { get; init; } = 10000;

    public JsonObject ToConfigJson(int vocabSize, int maskId, int eosId, int eotId) => new()
    {
        ["model_type"] = "llada",
        ["architectures"] = new JsonArray("LLaDAModelLM"),
        ["d_model"] = DModel,
        ["n_heads"] = Heads,
        ["n_kv_heads"] = Heads,
        ["n_layers"] = Layers,
        ["mlp_hidden_size"] = MlpHidden,
        ["mlp_ratio"] = 4,
        ["activation_type"] = "silu",
        ["block_type"] = "llama",
        ["block_group_size"] = 1,
        ["alibi"] = false,
        ["rope"] = true,
        ["rope_full_precision"] = true,
        ["rope_theta"] = RopeTheta,
        ["flash_attention"] = false,
        ["attention_dropout"] = 0.0,
        ["residual_dropout"] = 0.0,
        ["embedding_dropout"] = 0.0,
        ["attention_layer_norm"] = false,
        ["input_emb_norm"] = false,
        ["layer_norm_type"] = "rms",
        ["layer_norm_with_affine"] = true,
        ["rms_norm_eps"] = 1e-5,
        ["max_sequence_length"] = MaxSequenceLength,
        ["include_qkv_bias"] = false,
        ["include_bias"] = false,
        ["bias_for_layer_norm"] = false,
        ["scale_logits"] = false,
        ["vocab_size"] = vocabSize,
        ["embedding_size"] = vocabSize,
        ["weight_tying"] = false,
        ["eos_token_id"] = eosId,
        ["pad_token_id"] = eosId,
        ["eot_token_id"] = eotId,
        ["mask_token_id"] = maskId,
        ["init_device"] = "cpu",
        ["init_fn"] = "normal",
        ["init_std"] = 0.02,
        ["use_cache"] = false,
        ["torch_dtype"] = "bfloat16",
    };

    public ModelConfig ToModelConfig(int vocabSize, int maskId, int eosId, int eotId) =>
        ModelConfig.FromJson(ToConfigJson(vocabSize, maskId, eosId, eotId));
}
