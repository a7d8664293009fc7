using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Parameter = TorchSharp.Modules.Parameter;

namespace Mercury.AI.Engine.Models;

/// <summary>A weight (and optional bias) under a checkpoint name, allocated uninitialised: loading fills it, training
/// initialises it explicitly. <c>nn.Linear</c> would spend seconds on a random init that loading overwrites.</summary>
public sealed class LinearWeights : nn.Module
{
    public LinearWeights(string name, Tensor weight, Tensor? bias) : base(name)
    {
        Weight = new Parameter(weight, requires_grad: false);
        register_parameter("weight", Weight);
        if (bias is not null)
        {
            Bias = new Parameter(bias, requires_grad: false);
            register_parameter("bias", Bias);
        }
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }
}

/// <summary>An RMSNorm weight (<c>[C]</c>) and its epsilon. Normalisation runs in float32 as both references do.</summary>
public sealed class RmsNormWeights : nn.Module
{
    public RmsNormWeights(string name, long size, double eps, ScalarType dtype, Device device) : base(name)
    {
        Weight = new Parameter(ones(size, dtype, device), requires_grad: false);
        register_parameter("weight", Weight);
        Eps = eps;
        SqrtScaledEps = tensor(new[] { (float)Math.Sqrt(size * eps) }, device: device).DetachFromDisposeScope();
    }

    public Parameter Weight { get; }

    public double Eps { get; }

    /// <summary><c>sqrt(C·eps)</c> as a float32 tensor: <c>hypot(‖x‖, sqrt(C·eps)) = √C · sqrt(mean(x²) + eps)</c>.</summary>
    internal Tensor SqrtScaledEps { get; }

    protected override void Dispose(bool disposing)
    {
        if (disposing) SqrtScaledEps.Dispose();
        base.Dispose(disposing);
    }

    public Tensor Forward(Tensor x)
    {
        // x · rsqrt(mean(x²) + eps) · w in float32 (LLaDA RMSLayerNorm, Qwen2RMSNorm). mean(x²) is taken as ‖x‖²/C:
        // one reduction kernel instead of square + mean.
        using var scope = NewDisposeScope();
        var x32 = x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);
        var norm = linalg.vector_norm(x32, 2, [-1], keepdim: true);
        // In place when no gradient flows (inference: fewer tensors per step); autograd needs the norm intact.
        var scale = x.requires_grad
            ? norm.pow(2).div(x.shape[^1]).add(Eps).rsqrt()
            : norm.pow_(2).div_(x.shape[^1]).add_(Eps).rsqrt_();
        var y = x32.mul(scale);
        if (y.dtype != x.dtype) y = y.to_type(x.dtype);
        return y.mul_(Weight).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Shared math of the LLaDA and Dream blocks (they differ in key names, biases and RoPE precision only).
/// Weights arrive fused: one <c>[(H + 2Hkv)·D, C]</c> QKV matrix and one <c>[2I, C]</c> gate-up matrix, so each
/// projection is one matmul.
/// </summary>
internal static class TransformerMath
{
    /// <summary>RoPE tables <c>[maxPositions, D]</c> in float32: cos/sin of <c>pos · θ^(-2i/D)</c>, halves repeated
    /// (the half-split convention of LLaDA and Qwen2), and the <c>[D, D]</c> matrix R with <c>x·R = rotate_half(x)</c>,
    /// which turns RoPE into three kernels: <c>x·cos + (x·R)·sin</c>.</summary>
    public static (Tensor Cos, Tensor Sin, Tensor Rotate) RopeTables(int maxPositions, int headDim, double theta, Device device)
    {
        using var scope = NewDisposeScope();
        var invFreq = 1.0f / pow(theta, arange(0, headDim, 2, ScalarType.Int64).to_type(ScalarType.Float32) / headDim);
        var positions = arange(maxPositions, ScalarType.Float32);
        var freqs = outer(positions, invFreq);
        var emb = cat([freqs, freqs], -1);
        int half = headDim / 2;
        var rotate = zeros(headDim, headDim, ScalarType.Float32);
        for (int i = 0; i < half; i++)
        {
            rotate[i + half, i] = tensor(-1.0f); // out[i] = -x[i + D/2]
            rotate[i, i + half] = tensor(1.0f);  // out[i + D/2] = x[i]
        }
        return (emb.cos().to(device).MoveToOuterDisposeScope(), emb.sin().to(device).MoveToOuterDisposeScope(), rotate.to(device).MoveToOuterDisposeScope());
    }

    /// <summary>cos/sin rows for the fed positions, shaped to broadcast over <c>[B, T, H, D]</c>.</summary>
    public static (Tensor Cos, Tensor Sin) RopeRows(Tensor cosTable, Tensor sinTable, long batch, long length, ForwardOptions options)
    {
        if (options.PositionIds is { } pos)
        {
            var flat = pos.reshape(-1);
            return (cosTable.index_select(0, flat).view(batch, length, 1, -1), sinTable.index_select(0, flat).view(batch, length, 1, -1));
        }
        return (cosTable.narrow(0, options.Offset, length).view(1, length, 1, -1), sinTable.narrow(0, options.Offset, length).view(1, length, 1, -1));
    }

    /// <summary>What every layer's attention shares in one forward, built once instead of once per layer: the attention
    /// mask ([B, 1, 1, Tk] key mask, or [.., G·T, Tk] with the causal triangle) and the cache write index.</summary>
    public readonly record struct SharedInputs(Tensor? Mask, Tensor? CacheIndex);

    public static SharedInputs Shared(long b, long t, int heads, int kvHeads, int headDim, long keyLength, Device device, ForwardOptions options)
    {
        var mask = options.KeyMask?.view(b, 1, 1, -1);
        if (options.Causal && t > 1) mask = CausalMask(t, keyLength, options.Offset, heads / kvHeads, device, mask);
        var index = options.CacheColumns?.view(b, 1, t, 1).expand(b, kvHeads, t, headDim);                  // per-row columns
        return new SharedInputs(mask, index);
    }

    /// <summary>
    /// Self-attention from fused projections. <paramref name="qkv"/> is <c>[B·T, (H + 2Hkv)·D]</c>; returns the attention
    /// output <c>[B·T, H·D]</c>, ready for the output projection. About a dozen tensor ops: on a GPU a cached step is
    /// bound by per-op launch cost, so every view and cast here is deliberate.
    /// </summary>
    public static Tensor Attention(Tensor qkv, long b, long t, int layer, int heads, int kvHeads, int headDim, Tensor cos, Tensor sin,
        Tensor rotate, bool ropeInFloat32, ForwardOptions options, SharedInputs shared)
    {
        int qkHeads = heads + kvHeads;
        var all = qkv.view(b, t, qkHeads + kvHeads, headDim);                                          // [B, T, H+2Hkv, D]
        var qk = all.narrow(2, 0, qkHeads);                                                            // [B, T, H+Hkv, D]
        var dtype = qk.dtype;
        if (ropeInFloat32 && dtype != ScalarType.Float32) qk = qk.to_type(ScalarType.Float32);
        qk = addcmul(qk.mul(cos), qk.matmul(rotate), sin, 1);                                          // RoPE, q and k at once
        if (qk.dtype != dtype) qk = qk.to_type(dtype);
        qk = qk.permute(0, 2, 1, 3);                                                                   // [B, H+Hkv, T, D]
        var q = qk.narrow(1, 0, heads);                                                                // [B, H, T, D]
        var k = qk.narrow(1, heads, kvHeads);                                                          // [B, Hkv, T, D]
        var v = all.narrow(2, qkHeads, kvHeads).permute(0, 2, 1, 3);                                   // [B, Hkv, T, D]

        Tensor keys = k, values = v;
        if (options.Cache is { } cache)
        {
            var (kc, vc) = cache.Layer(layer);                                                         // [B, Hkv, Tmax, D]
            long length;
            if (shared.CacheIndex is { } index)
            {
                kc.scatter_(2, index, k);
                vc.scatter_(2, index, v);
                length = cache.Capacity;
            }
            else
            {
                kc.narrow(2, options.Offset, t).copy_(k);
                vc.narrow(2, options.Offset, t).copy_(v);
                length = Math.Max(cache.Length, options.Offset + t);
            }
            (keys, values) = length == cache.Capacity ? (kc, vc) : (kc.narrow(2, 0, length), vc.narrow(2, 0, length));
        }

        int groups = heads / kvHeads;
        // Grouped KV heads without repeating K/V: query head h uses KV head h / groups, so stacking each group's
        // queries along the sequence axis gives [B, Hkv, groups·T, D] against [B, Hkv, Tk, D]. Exact, since every
        // query row attends independently.
        if (groups > 1) q = q.reshape(b, kvHeads, groups * t, headDim);
        var o = F.scaled_dot_product_attention(q, keys, values, shared.Mask);                                // [B, Hkv, G·T, D]
        if (groups > 1) o = o.view(b, heads, t, headDim);
        return o.permute(0, 2, 1, 3).reshape(b * t, (long)heads * headDim);                            // [B·T, H·D]
    }

    /// <summary>Query i (at position offset + i) may see key j iff j ≤ offset + i; rows repeat per query group.</summary>
    private static Tensor CausalMask(long queries, long keys, long offset, int groups, Device device, Tensor? keyMask)
    {
        var allowed = arange(keys, device: device).unsqueeze(0) <= arange(offset, offset + queries, device: device).unsqueeze(1); // [T, Tk]
        if (groups > 1) allowed = allowed.repeat(groups, 1);                                                                  // [G·T, Tk]
        return keyMask is null ? allowed : keyMask.logical_and(allowed);
    }

    /// <summary>SwiGLU from the fused gate-up projection output <c>[B·T, 2I]</c>: silu(gate) · up.</summary>
    public static Tensor SwiGlu(Tensor gateUp, long intermediate) =>
        F.silu(gateUp.narrow(-1, 0, intermediate)).mul_(gateUp.narrow(-1, intermediate, intermediate));
}
