using System.Text.Json.Nodes;
using Mercury.AI.Engine.Models;

namespace Mercury.AI.Bench;

/// <summary>Named published shapes for random-weight benchmarks, so a GPU run needs no checkpoint download.</summary>
internal static class ModelShapes
{
    public static readonly IReadOnlyDictionary<string, Func<JsonObject>> Named = new Dictionary<string, Func<JsonObject>>(StringComparer.OrdinalIgnoreCase)
    {
        // GSAI-ML/LLaDA-8B-Instruct config.json
        ["llada-8b"] = () => LLaDA(dModel: 4096, heads: 32, kvHeads: 32, layers: 32, mlp: 12288, vocab: 126464, maxLength: 4096, mask: 126336),
        // Dream-org/Dream-v0-Instruct-7B (Qwen2.5-7B shapes)
        ["dream-7b"] = () => new JsonObject
        {
            ["model_type"] = "Dream", ["hidden_size"] = 3584, ["num_attention_heads"] = 28, ["num_key_value_heads"] = 4,
            ["num_hidden_layers"] = 28, ["intermediate_size"] = 18944, ["vocab_size"] = 152064, ["max_position_embeddings"] = 4096,
            ["rope_theta"] = 1000000.0, ["mask_token_id"] = 151666, ["eos_token_id"] = 151643,
        },
        // The issue's CPU benchmark shape: the fixture architecture scaled up.
        ["llada-512x8"] = () => LLaDA(dModel: 512, heads: 8, kvHeads: 8, layers: 8, mlp: 1536, vocab: 8192, maxLength: 1024, mask: 8191),
        // Tiny layers, many of them: a step costs per-op overhead, not FLOPs (the GPU regime, on a CPU).
        ["llada-64x32"] = () => LLaDA(dModel: 64, heads: 4, kvHeads: 4, layers: 32, mlp: 160, vocab: 512, maxLength: 1024, mask: 511),
        ["llada-tiny"] = () => LLaDA(dModel: 64, heads: 4, kvHeads: 4, layers: 2, mlp: 160, vocab: 512, maxLength: 256, mask: 511),
    };

    private static JsonObject LLaDA(int dModel, int heads, int kvHeads, int layers, int mlp, int vocab, int maxLength, int mask) => new()
    {
        ["model_type"] = "llada", ["architectures"] = new JsonArray("LLaDAModelLM"), ["d_model"] = dModel, ["n_heads"] = heads,
        ["n_kv_heads"] = kvHeads, ["n_layers"] = layers, ["mlp_hidden_size"] = mlp, ["vocab_size"] = vocab, ["embedding_size"] = vocab,
        ["max_sequence_length"] = maxLength, ["rope_theta"] = 500000.0, ["mask_token_id"] = mask, ["eos_token_id"] = vocab - 2,
        ["block_type"] = "llama", ["layer_norm_type"] = "rms", ["activation_type"] = "silu",
    };

    public static ModelConfig Config(string name) =>
        Named.TryGetValue(name, out var make) ? ModelConfig.FromJson(make(), name)
        : throw new ArgumentException($"Unknown model shape '{name}'. Known: {string.Join(", ", Named.Keys)}; or pass a checkpoint folder.");
}
