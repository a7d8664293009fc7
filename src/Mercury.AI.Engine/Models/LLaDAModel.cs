using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// LLaDA (https://arxiv.org/abs/2502.09992), as <c>LLaDAModelLM</c> in its <c>modeling_llada.py</c>. Checkpoint keys:
/// <code>
/// model.transformer.wte.weight                      [V, C]
/// model.transformer.blocks.{i}.attn_norm.weight     [C]
/// model.transformer.blocks.{i}.q_proj.weight        [H·D, C]      (+ .bias with include_qkv_bias)
/// model.transformer.blocks.{i}.k_proj.weight        [Hkv·D, C]
/// model.transformer.blocks.{i}.v_proj.weight        [Hkv·D, C]
/// model.transformer.blocks.{i}.attn_out.weight      [C, H·D]
/// model.transformer.blocks.{i}.ff_norm.weight       [C]
/// model.transformer.blocks.{i}.ff_proj.weight       [I, C]        gated input: silu(ff_proj(x)) · up_proj(x)
/// model.transformer.blocks.{i}.up_proj.weight       [I, C]
/// model.transformer.blocks.{i}.ff_out.weight        [C, I]        down projection
/// model.transformer.ln_f.weight                     [C]
/// model.transformer.ff_out.weight                   [V, C]        untied LM head (absent with weight_tying)
/// </code>
/// Same-position prediction: the logits at a masked position predict that position.
/// </summary>
public sealed class LLaDAModel : DiffusionTransformer
{
    public LLaDAModel(ModelConfig config, ModelBuildOptions? options = null) : base("LLaDAModelLM", config, options ??= new())
    {
        if (config.Architecture != ModelArchitecture.LLaDA) throw new ArgumentException("Config is not a LLaDA config.", nameof(config));
        long c = config.HiddenSize, d = config.HeadDim, q = config.NumHeads * d, kv = config.NumKeyValueHeads * d, ff = config.IntermediateSize;

        var wte = new LinearWeights("wte", NewWeight(config.VocabSize, c), null);
        var blocks = new nn.Module[config.NumLayers];
        var bound = new BlockWeights[config.NumLayers];
        for (int i = 0; i < config.NumLayers; i++)
        {
            Tensor? fusedQkv = null, fusedBias = null, fusedGateUp = null;
            Tensor[] qkv, bias = [], gateUp;
            if (options.Trainable)
            {
                qkv = [NewWeight(q, c), NewWeight(kv, c), NewWeight(kv, c)];
                if (config.QkvBias) bias = [zeros(q, DType, Device), zeros(kv, DType, Device), zeros(kv, DType, Device)];
                gateUp = [NewWeight(ff, c), NewWeight(ff, c)];
            }
            else
            {
                (fusedQkv, qkv) = NewFused(c, q, kv, kv);
                if (config.QkvBias) (fusedBias, bias) = NewFusedBias(q, kv, kv);
                (fusedGateUp, gateUp) = NewFused(c, ff, ff);
            }
            var w = new BlockWeights(
                AttentionNorm: new RmsNormWeights("attn_norm", c, config.RmsNormEps, DType, Device),
                Q: new LinearWeights("q_proj", qkv[0], config.QkvBias ? bias[0] : null),
                K: new LinearWeights("k_proj", qkv[1], config.QkvBias ? bias[1] : null),
                V: new LinearWeights("v_proj", qkv[2], config.QkvBias ? bias[2] : null),
                Output: new LinearWeights("attn_out", NewWeight(c, q), null),
                FeedForwardNorm: new RmsNormWeights("ff_norm", c, config.RmsNormEps, DType, Device),
                Gate: new LinearWeights("ff_proj", gateUp[0], null),
                Up: new LinearWeights("up_proj", gateUp[1], null),
                Down: new LinearWeights("ff_out", NewWeight(c, ff), null),
                FusedQkv: fusedQkv, FusedQkvBias: fusedBias, FusedGateUp: fusedGateUp);
            bound[i] = w;
            blocks[i] = new ModuleNode($"block{i}",
                ("attn_norm", w.AttentionNorm), ("q_proj", w.Q), ("k_proj", w.K), ("v_proj", w.V), ("attn_out", w.Output),
                ("ff_norm", w.FeedForwardNorm), ("ff_proj", w.Gate), ("up_proj", w.Up), ("ff_out", w.Down));
        }

        var lnF = new RmsNormWeights("ln_f", c, config.RmsNormEps, DType, Device);
        var children = new List<(string, nn.Module)> { ("wte", wte), ("blocks", nn.ModuleList(blocks)), ("ln_f", lnF) };
        LinearWeights? head = null;
        if (!config.TieWordEmbeddings)
        {
            head = new LinearWeights("ff_out", NewWeight(config.VocabSize, c), null);
            children.Add(("ff_out", head));
        }
        register_module("model", new ModuleNode("model", ("transformer", new ModuleNode("transformer", children.ToArray()))));
        Bind(wte.Weight, bound, lnF, head?.Weight ?? wte.Weight);
        if (options.Trainable) foreach (var p in parameters()) p.requires_grad = true;
    }
}
