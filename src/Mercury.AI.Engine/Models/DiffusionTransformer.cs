using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mercury.AI.Engine.Models;

/// <summary>How a model's tensors are laid out in memory.</summary>
public sealed record ModelBuildOptions
{
    public Device Device { get; init; } = CPU;

    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Inference (default): each block's q/k/v and gate/up weights are views into one fused matrix, so a projection
    /// is one matmul while the parameter names still mirror the checkpoint. Training: separate parameters with
    /// gradients, fused per forward by concatenation.
    /// </summary>
    public bool Trainable { get; init; }
}

/// <summary>The tensors of one block, whatever the family calls them.</summary>
internal sealed record BlockWeights(
    RmsNormWeights AttentionNorm, LinearWeights Q, LinearWeights K, LinearWeights V, LinearWeights Output,
    RmsNormWeights FeedForwardNorm, LinearWeights Gate, LinearWeights Up, LinearWeights Down,
    Tensor? FusedQkv, Tensor? FusedQkvBias, Tensor? FusedGateUp);

/// <summary>
/// The pre-norm, bidirectional, RoPE + SwiGLU transformer both LLaDA and Dream are. Subclasses build the module tree
/// under their checkpoint names; this class owns the forward pass.
/// </summary>
public abstract class DiffusionTransformer : nn.Module, IDiffusionLanguageModel
{
    private readonly Tensor _cos, _sin, _rotate;
    private BlockWeights[] _blocks = [];
    private Tensor _embedding = null!;
    private RmsNormWeights _finalNorm = null!;
    private Tensor _head = null!;
    private Tensor?[] _outputT = [], _downT = [];
    private Tensor? _headT;

    protected DiffusionTransformer(string name, ModelConfig config, ModelBuildOptions options) : base(name)
    {
        Config = config;
        Device = options.Device;
        DType = options.DType;
        Trainable = options.Trainable;
        // Positions past max_sequence_length never occur: the decoder refuses such canvases.
        (_cos, _sin, _rotate) = TransformerMath.RopeTables(config.MaxSequenceLength, config.HeadDim, config.RopeTheta, options.Device);
        if (!(config.RopeFullPrecision && DType != ScalarType.Float32))
        {
            _cos = _cos.to_type(DType);
            _sin = _sin.to_type(DType);
            _rotate = _rotate.to_type(DType);
        }
    }

    public ModelConfig Config { get; }

    public Device Device { get; }

    public ScalarType DType { get; }

    public bool Trainable { get; }

    /// <summary>Called by subclasses once their module tree exists.</summary>
    internal void Bind(Tensor embedding, IEnumerable<BlockWeights> blocks, RmsNormWeights finalNorm, Tensor head)
    {
        _embedding = embedding;
        _blocks = blocks.ToArray();
        // Inference keeps transposed views of the output and down projections, so addmm needs no per-step transpose.
        // Training takes them per call: a long-lived view of a parameter the optimizer updates in place is fragile.
        _outputT = _blocks.Select(w => Trainable ? null : w.Output.Weight.t()).ToArray();
        _downT = _blocks.Select(w => Trainable ? null : w.Down.Weight.t()).ToArray();
        _headT = Trainable ? null : head.t();
        _finalNorm = finalNorm;
        _head = head;
    }

    /// <summary>Allocates an uninitialised weight; with <see cref="ModelBuildOptions.Trainable"/> it will carry gradients.</summary>
    protected Tensor NewWeight(long rows, long cols) => empty([rows, cols], DType, Device);

    /// <summary>Allocates q/k/v (or gate/up) weights as row ranges of one fused matrix.</summary>
    protected (Tensor Fused, Tensor[] Parts) NewFused(long cols, params long[] rows) => Split(empty([rows.Sum(), cols], DType, Device), rows);

    /// <summary>Allocates q/k/v biases as ranges of one fused vector.</summary>
    protected (Tensor Fused, Tensor[] Parts) NewFusedBias(params long[] sizes) => Split(zeros(sizes.Sum(), DType, Device), sizes);

    private static (Tensor Fused, Tensor[] Parts) Split(Tensor fused, long[] sizes)
    {
        var parts = new Tensor[sizes.Length];
        long start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = fused.narrow(0, start, sizes[i]);
            start += sizes[i];
        }
        return (fused, parts);
    }

    public KvCache CreateCache(long batch, long capacity) =>
        new(Config.NumLayers, batch, capacity, Config.NumKeyValueHeads, Config.HeadDim, DType, Device);

    /// <summary>Keys each query sees: the fed tokens, or the cache's filled part (all of it when columns are scattered).</summary>
    private static long KeyLength(ForwardOptions options, long t) =>
        options.Cache is not { } cache ? t : options.CacheColumns is not null ? cache.Capacity : Math.Max(cache.Length, options.Offset + t);

    public Tensor Forward(Tensor inputIds, ForwardOptions? options = null)
    {
        options ??= new ForwardOptions();
        long b = inputIds.shape[0], t = inputIds.shape[1];
        long c = Config.HiddenSize;
        if (options.Cache is { } cache && options.Offset + t > cache.Capacity)
            throw new ArgumentException($"Cache holds {cache.Capacity} positions; rows {options.Offset}..{options.Offset + t} do not fit.");
        if (options.PositionIds is null && options.Offset + t > Config.MaxSequenceLength)
            throw new ArgumentException($"Positions up to {options.Offset + t} exceed the model's max_sequence_length {Config.MaxSequenceLength}.");

        using var scope = NewDisposeScope();
        bool ropeFloat32 = Config.RopeFullPrecision;
        var (cos, sin) = TransformerMath.RopeRows(_cos, _sin, b, t, options);
        var x = _embedding.index_select(0, inputIds.reshape(-1));                                  // [B·T, C]
        var shared = TransformerMath.Shared(b, t, Config.NumHeads, Config.NumKeyValueHeads, Config.HeadDim, KeyLength(options, t), Device, options);

        for (int i = 0; i < _blocks.Length; i++)
        {
            var w = _blocks[i];
            var residual = x;
            using var layerScope = NewDisposeScope();
            var h = w.AttentionNorm.Forward(x);
            var qkvWeight = w.FusedQkv ?? cat([w.Q.Weight, w.K.Weight, w.V.Weight], 0);
            var qkvBias = w.FusedQkvBias ?? (w.Q.Bias is null ? null : cat([w.Q.Bias, w.K.Bias!, w.V.Bias!], 0));
            var qkv = F.linear(h, qkvWeight, qkvBias);                                            // [B·T, (H+2Hkv)·D]
            var attention = TransformerMath.Attention(qkv, b, t, i, Config.NumHeads, Config.NumKeyValueHeads, Config.HeadDim,
                cos, sin, _rotate, ropeFloat32, options, shared);                                 // [B·T, H·D]
            x = addmm(x, attention, _outputT[i] ?? w.Output.Weight.t(), 1, 1);                    // residual + o_proj

            h = w.FeedForwardNorm.Forward(x);
            var gateUp = F.linear(h, w.FusedGateUp ?? cat([w.Gate.Weight, w.Up.Weight], 0));      // [B·T, 2I]
            x = addmm(x, TransformerMath.SwiGlu(gateUp, Config.IntermediateSize), _downT[i] ?? w.Down.Weight.t(), 1, 1); // residual + down
            x.MoveToOuterDisposeScope();
            if (i > 0) residual.Dispose(); // keep one residual stream alive, not one per layer
        }
        if (options.Cache is { } used) used.Length = options.CacheColumns is null ? Math.Max(used.Length, options.Offset + t) : used.Capacity;

        var hidden = x.view(b, t, c);
        if (options.LogitsIndex is { } index)
        {
            hidden = hidden.gather(1, index.unsqueeze(-1).expand(b, index.shape[1], c));          // [B, L, C]
        }
        else
        {
            long start = options.LogitsStart, length = options.LogitsLength ?? t - options.LogitsStart;
            if (start != 0 || length != t) hidden = hidden.narrow(1, start, length);
        }
        var logits = _finalNorm.Forward(hidden).matmul(_headT ?? _head.t());                       // [B, T', V]
        if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
        return logits.MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cos.Dispose();
            _sin.Dispose();
            _rotate.Dispose();
            foreach (var view in _outputT.Concat(_downT).Append(_headT)) view?.Dispose();
            foreach (var block in _blocks)
            {
                block.FusedQkv?.Dispose();
                block.FusedQkvBias?.Dispose();
                block.FusedGateUp?.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}

/// <summary>A named node of the module tree that only holds children (e.g. <c>model</c>, <c>transformer</c>).</summary>
internal sealed class ModuleNode : nn.Module
{
    public ModuleNode(string name, params (string Name, nn.Module Module)[] children) : base(name)
    {
        foreach (var (childName, module) in children) register_module(childName, module);
    }
}
