using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// The inference forward pass, written for the fewest tensor ops per layer: on a GPU a cached step is bound by per-op
/// launch cost (<c>../shared/device/README.md</c>), so every op here is one the math needs. Per forward, not per
/// layer: the QKV, gate-up and attention-output buffers and all their views, RoPE's rotation matrices, the attention
/// mask and the cache write index. Per layer: two RMS norms, four matmuls written into those buffers or added onto the
/// residual stream in place, RoPE as one batched matmul, one cache scatter, one attention call.
/// </summary>
internal sealed class InferenceForward
{
    /// <summary>Above this many bytes of rotation matrices RoPE falls back to the three-op elementwise form.</summary>
    internal const long RopeMatrixBudgetBytes = 64L << 20;

    /// <summary>Tests: another budget for forwards on this thread (0 forces the elementwise form).</summary>
    [ThreadStatic] internal static long? t_ropeBudgetOverride;

    private readonly long _b, _t;
    private readonly int _heads, _kvHeads, _groups, _headDim;
    private readonly Tensor _qkv, _qk, _kv, _q, _k, _v, _gate, _up, _gateUp, _outTarget, _out2d;
    private readonly Tensor? _qGroupedSource, _qGrouped;
    private readonly Rope _rope;
    private readonly TransformerMath.SharedInputs _shared;

    /// <summary>Allocates the forward's buffers and views, in the caller's dispose scope.</summary>
    public InferenceForward(ModelConfig config, ScalarType dtype, Device device, long b, long t, Rope rope, TransformerMath.SharedInputs shared)
    {
        (_b, _t, _heads, _kvHeads, _headDim) = (b, t, config.NumHeads, config.NumKeyValueHeads, config.HeadDim);
        _groups = _heads / _kvHeads;
        long n = b * t, d = _headDim;
        int all = _heads + 2 * _kvHeads;
        _qkv = empty([n, all * d], dtype, device);                                                   // [N, (H+2Hkv)·D]
        var heads = _qkv.view(b, t, all, d);                                                          // [B, T, H+2Hkv, D]
        _qk = heads.narrow(2, 0, _heads + _kvHeads);                                                  // RoPE's input
        _kv = heads.narrow(2, _heads, 2 * _kvHeads);                                                  // what the cache stores
        _k = _kv.narrow(2, 0, _kvHeads).permute(0, 2, 1, 3);                                          // [B, Hkv, T, D]
        _v = _kv.narrow(2, _kvHeads, _kvHeads).permute(0, 2, 1, 3);
        var q = heads.narrow(2, 0, _heads);                                                           // [B, T, H, D]
        var output = empty([b, t, _heads, d], dtype, device);                                         // attention output, token-major
        _out2d = output.view(n, _heads * d);
        if (_groups == 1)
        {
            _q = q.permute(0, 2, 1, 3);                                                               // [B, H, T, D]
            _outTarget = output.permute(0, 2, 1, 3);
        }
        else
        {
            // Grouped KV heads without repeating K/V: query head h uses KV head h / G, so each KV head's G query heads
            // are stacked along the sequence axis, [B, Hkv, G·T, D] against [B, Hkv, Tk, D]. Exact: rows attend independently.
            _qGroupedSource = q.view(b, t, _kvHeads, _groups, d).permute(0, 2, 3, 1, 4);            // [B, Hkv, G, T, D]
            _qGrouped = empty([b, _kvHeads, _groups, t, d], dtype, device);
            _q = _qGrouped.view(b, _kvHeads, _groups * t, d);
            _outTarget = output.view(b, t, _kvHeads, _groups, d).permute(0, 2, 3, 1, 4);
        }
        _gateUp = empty([n, 2 * config.IntermediateSize], dtype, device);                             // [N, 2I]
        _gate = _gateUp.narrow(1, 0, config.IntermediateSize);
        _up = _gateUp.narrow(1, config.IntermediateSize, config.IntermediateSize);
        _rope = rope;
        _shared = shared;
    }

    /// <summary>One transformer block, updating the residual stream <paramref name="x"/> <c>[N, C]</c> in place.</summary>
    public void Block(Tensor x, int layer, InferenceWeights w, KvCache? cache, ForwardOptions options)
    {
        using var scope = NewDisposeScope();
        // Attention. RMSNorm's √C is applied by the matmul's alpha (see Normalized).
        _qkv.addmm_(Normalized(x, w.AttentionNorm), w.QkvT, 0, w.SqrtHidden);
        if (w.QkvBias is { } bias) _qkv.add_(bias);
        _rope.Apply(_qk);

        Tensor keys = _k, values = _v;
        if (cache is not null)
        {
            var storage = cache.Storage(layer);                                                       // [B, Tmax, 2Hkv, D]
            if (_shared.CacheIndex is { } index) storage.scatter_(1, index, _kv);
            else storage.narrow(1, options.Offset, _t).copy_(_kv);
            (keys, values) = cache.Layer(layer);
            long length = options.CacheColumns is null ? Math.Max(cache.Length, options.Offset + _t) : cache.Capacity;
            if (length != cache.Capacity) (keys, values) = (keys.narrow(2, 0, length), values.narrow(2, 0, length));
        }
        if (_qGrouped is not null) _qGrouped.copy_(_qGroupedSource!);
        var o = F.scaled_dot_product_attention(_q, keys, values, _shared.Mask);                       // [B, H or Hkv, (G·)T, D]
        _outTarget.copy_(_groups == 1 ? o : o.view(_b, _kvHeads, _groups, _t, _headDim));
        x.addmm_(_out2d, w.OutputT, 1, 1);                                                            // residual + o_proj

        // SwiGLU MLP.
        _gateUp.addmm_(Normalized(x, w.FeedForwardNorm), w.GateUpT, 0, w.SqrtHidden);
        _gate.silu_().mul_(_up);
        x.addmm_(_gate, w.DownT, 1, 1);                                                               // residual + down
    }

    /// <summary>
    /// RMSNorm up to a factor √C: <c>x·w / sqrt(‖x‖² + C·eps)</c>, i.e. <c>x·w·rsqrt(mean(x²) + eps) / √C</c>, which the
    /// caller's matmul multiplies back. In float32 that is one norm reduction and a hypot; in 16-bit the sum of squares
    /// is taken in float32 as the references do. The division runs in float32 and rounds once to the model dtype.
    /// </summary>
    public static Tensor Normalized(Tensor x, RmsNormWeights norm)
    {
        Tensor scale = x.dtype == ScalarType.Float32
            ? hypot(linalg.vector_norm(x, 2, [-1], keepdim: true), norm.SqrtScaledEps)
            : x.square().sum([-1], keepdim: true, ScalarType.Float32).add_(norm.Eps * x.shape[^1]).sqrt_();
        return x.mul(norm.Weight).div_(scale);
    }
}

/// <summary>What a block's inference forward reads, transposed once at load so no matmul transposes per step.</summary>
internal sealed record InferenceWeights(
    RmsNormWeights AttentionNorm, Tensor QkvT, Tensor? QkvBias, Tensor OutputT,
    RmsNormWeights FeedForwardNorm, Tensor GateUpT, Tensor DownT, float SqrtHidden);

/// <summary>
/// Rotary embeddings for the fed positions of one forward. Rotating a head vector at position p is multiplying it by a
/// <c>[D, D]</c> matrix <c>R_p = diag(cos_p) + rotate·diag(sin_p)</c> (half-split convention of LLaDA and Qwen2), so
/// RoPE on q and k of every head is one batched matmul against <c>[B or 1, T, D, D]</c> matrices built once per forward,
/// instead of three elementwise ops per layer. Past <see cref="InferenceForward.RopeMatrixBudgetBytes"/> (long full
/// forwards of big batches) it uses the elementwise form <c>x·cos + (x·rotate)·sin</c>.
/// </summary>
internal sealed class Rope
{
    private readonly Tensor? _matrices, _cos, _sin, _rotate;
    private readonly ScalarType _dtype;

    public Rope(Tensor cosTable, Tensor sinTable, Tensor rotate, long b, long t, ForwardOptions options)
    {
        var (cos, sin) = TransformerMath.RopeRows(cosTable, sinTable, b, t, options);               // [B or 1, T, 1, D]
        long rows = cos.shape[0], d = cos.shape[^1];
        _dtype = cosTable.dtype;
        // A batch that shares positions still needs one matrix per row: matmul cannot broadcast them without a copy.
        long matrices = Math.Max(rows, b) * t * d * d * cosTable.element_size();
        if (matrices <= (InferenceForward.t_ropeBudgetOverride ?? InferenceForward.RopeMatrixBudgetBytes))
        {
            var c = cos.view(rows, t, d);
            var m = c.diag_embed().addcmul_(rotate, sin.view(rows, t, 1, d), 1);                      // [B or 1, T, D, D]
            _matrices = rows == b ? m : m.expand(b, t, d, d).contiguous();
        }
        else
        {
            (_cos, _sin, _rotate) = (cos, sin, rotate);
        }
    }

    /// <summary>Rotates <paramref name="qk"/> <c>[B, T, H + Hkv, D]</c> in place, in the tables' dtype (float32 for
    /// LLaDA's rope_full_precision).</summary>
    public void Apply(Tensor qk)
    {
        var x = qk.dtype == _dtype ? qk : qk.to_type(_dtype);
        qk.copy_(_matrices is not null ? x.matmul(_matrices) : addcmul(x.mul(_cos!), x.matmul(_rotate!), _sin!, 1));
    }
}
