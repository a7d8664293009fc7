using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// Dream (https://hkunlp.github.io/blog/2025/dream), as <c>DreamModel</c> in its <c>modeling_dream.py</c>: a Qwen2
/// layout run with full (non-causal) attention. Checkpoint keys:
/// <code>
/// model.embed_tokens.weight                             [V, C]
/// model.layers.{i}.input_layernorm.weight               [C]
/// model.layers.{i}.self_attn.q_proj.weight / .bias      [H·D, C] / [H·D]
/// model.layers.{i}.self_attn.k_proj.weight / .bias      [Hkv·D, C] / [Hkv·D]
/// model.layers.{i}.self_attn.v_proj.weight / .bias      [Hkv·D, C] / [Hkv·D]
/// model.layers.{i}.self_attn.o_proj.weight              [C, H·D]     (no bias)
/// model.layers.{i}.post_attention_layernorm.weight      [C]
/// model.layers.{i}.mlp.gate_proj.weight                 [I, C]
/// model.layers.{i}.mlp.up_proj.weight                   [I, C]
/// model.layers.{i}.mlp.down_proj.weight                 [C, I]
/// model.norm.weight                                     [C]
/// lm_head.weight                                        [V, C]       (absent with tie_word_embeddings)
/// </code>
/// Dream predicts token i from the logits at position i-1; that shift belongs to the sampler.
/// </summary>
public sealed class DreamModel : DiffusionTransformer
{
    public DreamModel(ModelConfig config, ModelBuildOptions? options = null) : base("DreamModel", config, options ??= new())
    {
        if (config.Architecture != ModelArchitecture.Dream) throw new ArgumentException("Config is not a Dream config.", nameof(config));
        long c = config.HiddenSize, d = config.HeadDim, q = config.NumHeads * d, kv = config.NumKeyValueHeads * d, ff = config.IntermediateSize;

        var embed = new LinearWeights("embed_tokens", NewWeight(config.VocabSize, c), null);
        var layers = new nn.Module[config.NumLayers];
        var bound = new BlockWeights[config.NumLayers];
        for (int i = 0; i < config.NumLayers; i++)
        {
            Tensor? fusedQkv = null, fusedBias = null, fusedGateUp = null;
            Tensor[] qkv, bias, gateUp;
            if (options.Trainable)
            {
                qkv = [NewWeight(q, c), NewWeight(kv, c), NewWeight(kv, c)];
                bias = [zeros(q, DType, Device), zeros(kv, DType, Device), zeros(kv, DType, Device)];
                gateUp = [NewWeight(ff, c), NewWeight(ff, c)];
            }
            else
            {
                (fusedQkv, qkv) = NewFused(c, q, kv, kv);
                (fusedBias, bias) = NewFusedBias(q, kv, kv);
                (fusedGateUp, gateUp) = NewFused(c, ff, ff);
            }
            var w = new BlockWeights(
                AttentionNorm: new RmsNormWeights("input_layernorm", c, config.RmsNormEps, DType, Device),
                Q: new LinearWeights("q_proj", qkv[0], bias[0]),
                K: new LinearWeights("k_proj", qkv[1], bias[1]),
                V: new LinearWeights("v_proj", qkv[2], bias[2]),
                Output: new LinearWeights("o_proj", NewWeight(c, q), null),
                FeedForwardNorm: new RmsNormWeights("post_attention_layernorm", c, config.RmsNormEps, DType, Device),
                Gate: new LinearWeights("gate_proj", gateUp[0], null),
                Up: new LinearWeights("up_proj", gateUp[1], null),
                Down: new LinearWeights("down_proj", NewWeight(c, ff), null),
                FusedQkv: fusedQkv, FusedQkvBias: fusedBias, FusedGateUp: fusedGateUp);
            bound[i] = w;
            layers[i] = new ModuleNode($"layer{i}",
                ("input_layernorm", w.AttentionNorm),
                ("self_attn", new ModuleNode("self_attn", ("q_proj", w.Q), ("k_proj", w.K), ("v_proj", w.V), ("o_proj", w.Output))),
                ("post_attention_layernorm", w.FeedForwardNorm),
                ("mlp", new ModuleNode("mlp", ("gate_proj", w.Gate), ("up_proj", w.Up), ("down_proj", w.Down))));
        }

        var norm = new RmsNormWeights("norm", c, config.RmsNormEps, DType, Device);
        register_module("model", new ModuleNode("model", ("embed_tokens", embed), ("layers", nn.ModuleList(layers)), ("norm", norm)));
        LinearWeights? head = null;
        if (!config.TieWordEmbeddings)
        {
            head = new LinearWeights("lm_head", NewWeight(config.VocabSize, c), null);
            register_module("lm_head", head);
        }
        Bind(embed.Weight, bound, norm, head?.Weight ?? embed.Weight);
        if (options.Trainable) foreach (var p in parameters()) p.requires_grad = true;
    }
}
