using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Training.Training;

/// <summary>
/// The LLaDA forward pass written with out-of-place ops only, over the parameters of a trainable
/// <see cref="LLaDAModel"/>, so autograd can differentiate it. The engine's <see cref="DiffusionTransformer.Forward"/>
/// is tuned for inference (its RMSNorm updates the norm's output in place, which backward cannot go through);
/// <c>TrainingForwardTests</c> checks both give the same logits, so what is trained is what the engine runs.
/// </summary>
public sealed class TrainingForward : IDisposable
{
    private readonly ModelConfig _config;
    private readonly Tensor _embedding, _finalNorm, _head;
    private readonly Block[] _blocks;
    private readonly Tensor _cos, _sin;

    private sealed record Block(Tensor AttnNorm, Tensor Q, Tensor K, Tensor V, Tensor Out, Tensor FfNorm, Tensor Gate, Tensor Up, Tensor Down);

    public TrainingForward(LLaDAModel model)
    {
        _config = model.Config;
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        const string root = "model.transformer.";
        _embedding = p[root + "wte.weight"];
        _finalNorm = p[root + "ln_f.weight"];
        _head = _config.TieWordEmbeddings ? _embedding : p[root + "ff_out.weight"];
        _blocks = Enumerable.Range(0, _config.NumLayers).Select(i =>
        {
            string b = $"{root}blocks.{i}.";
            return new Block(p[b + "attn_norm.weight"], p[b + "q_proj.weight"], p[b + "k_proj.weight"], p[b + "v_proj.weight"], p[b + "attn_out.weight"],
                p[b + "ff_norm.weight"], p[b + "ff_proj.weight"], p[b + "up_proj.weight"], p[b + "ff_out.weight"]);
        }).ToArray();
        // RoPE tables [maxLen, D] in float32, halves repeated (LLaDA's rotate_half convention).
        int d = _config.HeadDim;
        var invFreq = 1.0f / pow(_config.RopeTheta, arange(0, d, 2, ScalarType.Float32) / d);
        var freqs = outer(arange(_config.MaxSequenceLength, ScalarType.Float32), invFreq);
        var emb = cat([freqs, freqs], -1);
        _cos = emb.cos().to(model.Device);
        _sin = emb.sin().to(model.Device);
    }

    /// <summary>Logits <c>[B, T, V]</c> in float32 for <paramref name="ids"/> <c>[B, T]</c>, full bidirectional attention.</summary>
    public Tensor Forward(Tensor ids)
    {
        long b = ids.shape[0], t = ids.shape[1];
        int h = _config.NumHeads, hkv = _config.NumKeyValueHeads, d = _config.HeadDim;
        var cos = _cos.narrow(0, 0, t).view(1, 1, t, d);
        var sin = _sin.narrow(0, 0, t).view(1, 1, t, d);
        var x = _embedding.index_select(0, ids.reshape(-1)).view(b, t, -1);                                                       // [B, T, C]
        foreach (var w in _blocks)
        {
            var n = Norm(x, w.AttnNorm);
            var q = Rope(F.linear(n, w.Q).view(b, t, h, d).transpose(1, 2), cos, sin);               // [B, H, T, D]
            var k = Rope(F.linear(n, w.K).view(b, t, hkv, d).transpose(1, 2), cos, sin);             // [B, Hkv, T, D]
            var v = F.linear(n, w.V).view(b, t, hkv, d).transpose(1, 2);                              // [B, Hkv, T, D]
            if (hkv != h)
            {
                k = k.repeat_interleave(h / hkv, 1);
                v = v.repeat_interleave(h / hkv, 1);
            }
            var o = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, h * d);   // [B, T, H·D]
            x = x + F.linear(o, w.Out);
            n = Norm(x, w.FfNorm);
            x = x + F.linear(F.silu(F.linear(n, w.Gate)) * F.linear(n, w.Up), w.Down);
        }
        var logits = F.linear(Norm(x, _finalNorm), _head);                                          // [B, T, V]
        return logits.dtype == ScalarType.Float32 ? logits : logits.to_type(ScalarType.Float32);
    }

    private Tensor Norm(Tensor x, Tensor weight)
    {
        var x32 = x.to_type(ScalarType.Float32);
        var y = x32 * (x32.pow(2).mean([-1], keepdim: true) + _config.RmsNormEps).rsqrt();
        return y.to_type(x.dtype) * weight;
    }

    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var x32 = x.to_type(ScalarType.Float32);
        var rotated = cat([-x32.narrow(-1, half, half), x32.narrow(-1, 0, half)], -1);
        return (x32 * cos + rotated * sin).to_type(x.dtype);
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
