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
    private Tensor? _headT;
    private InferenceWeights[] _inference = [];

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
        _finalNorm = finalNorm;
        _head = head;
        if (Trainable) return;
        // Inference keeps transposed views of every projection, so no matmul transposes per step. (Training takes them
        // per call: a long-lived view of a parameter the optimizer updates in place is fragile.)
        _headT = head.t();
        float sqrtHidden = MathF.Sqrt(Config.HiddenSize);
        _inference = _blocks.Select(w => new InferenceWeights(w.AttentionNorm, w.FusedQkv!.t(), w.FusedQkvBias, w.Output.Weight.t(),
            w.FeedForwardNorm, w.FusedGateUp!.t(), w.Down.Weight.t(), sqrtHidden)).ToArray();
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
        long t = inputIds.shape[1];
        if (options.Cache is { } cache && options.Offset + t > cache.Capacity)
            throw new ArgumentException($"Cache holds {cache.Capacity} positions; rows {options.Offset}..{options.Offset + t} do not fit.");
        if (options.PositionIds is null && options.Offset + t > Config.MaxSequenceLength)
            throw new ArgumentException($"Positions up to {options.Offset + t} exceed the model's max_sequence_length {Config.MaxSequenceLength}.");
        return Trainable ? TrainingForward(inputIds, options) : InferenceForward(inputIds, options);
    }

    /// <summary>Inference: buffers, views and RoPE matrices once per forward, the residual stream updated in place
    /// (<see cref="Models.InferenceForward"/>).</summary>
    private Tensor InferenceForward(Tensor inputIds, ForwardOptions options)
    {
        long b = inputIds.shape[0], t = inputIds.shape[1];
        using var scope = NewDisposeScope();
        var x = _embedding.index_select(0, inputIds.reshape(-1));                                  // [B·T, C]
        var shared = TransformerMath.Shared(b, t, Config.NumHeads, Config.NumKeyValueHeads, Config.HeadDim, KeyLength(options, t), Device, options);
        // The cache stores [B, Tmax, 2Hkv, D]: a step's keys and values go in with one scatter along the positions.
        var index = options.CacheColumns?.view(b, t, 1, 1).expand(b, t, 2 * Config.NumKeyValueHeads, Config.HeadDim);
        var step = new InferenceForward(Config, DType, Device, b, t, new Rope(_cos, _sin, _rotate, b, t, options), shared with { CacheIndex = index });
        for (int i = 0; i < _inference.Length; i++) step.Block(x, i, _inference[i], options.Cache, options);
        if (options.Cache is { } used) used.Length = options.CacheColumns is null ? Math.Max(used.Length, options.Offset + t) : used.Capacity;

        var hidden = LogitRows(x.view(b, t, Config.HiddenSize), options);                         // [B, L, C]
        long rows = hidden.shape[1];
        var normed = Models.InferenceForward.Normalized(hidden.reshape(b * rows, Config.HiddenSize), _finalNorm).mul_(MathF.Sqrt(Config.HiddenSize));
        var logits = normed.matmul(_headT!).view(b, rows, -1);                                    // [B, L, V]
        if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The rows of <paramref name="hidden"/> <c>[B, T, C]</c> whose logits are wanted.</summary>
    private static Tensor LogitRows(Tensor hidden, ForwardOptions options)
    {
        long b = hidden.shape[0], t = hidden.shape[1], c = hidden.shape[2];
        if (options.LogitsIndex is { } index) return hidden.gather(1, index.unsqueeze(-1).expand(b, index.shape[1], c));
        long start = options.LogitsStart, length = options.LogitsLength ?? t - options.LogitsStart;
        return start != 0 || length != t ? hidden.narrow(1, start, length) : hidden;
    }

    /// <summary>Training: separate parameters fused per call, out-of-place ops autograd can differentiate.</summary>
    private Tensor TrainingForward(Tensor inputIds, ForwardOptions options)
    {
        long b = inputIds.shape[0], t = inputIds.shape[1];
        long c = Config.HiddenSize;
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
            var qkvWeight = cat([w.Q.Weight, w.K.Weight, w.V.Weight], 0);
            var qkvBias = w.Q.Bias is null ? null : cat([w.Q.Bias, w.K.Bias!, w.V.Bias!], 0);
            var qkv = F.linear(h, qkvWeight, qkvBias);                                            // [B·T, (H+2Hkv)·D]
            var attention = TransformerMath.Attention(qkv, b, t, i, Config.NumHeads, Config.NumKeyValueHeads, Config.HeadDim,
                cos, sin, _rotate, ropeFloat32, options, shared);                                 // [B·T, H·D]
            x = addmm(x, attention, w.Output.Weight.t(), 1, 1);                                   // residual + o_proj

            h = w.FeedForwardNorm.Forward(x);
            var gateUp = F.linear(h, cat([w.Gate.Weight, w.Up.Weight], 0));                      // [B·T, 2I]
            x = addmm(x, TransformerMath.SwiGlu(gateUp, Config.IntermediateSize), w.Down.Weight.t(), 1, 1); // residual + down
            x.MoveToOuterDisposeScope();
            if (i > 0) residual.Dispose(); // keep one residual stream alive, not one per layer
        }
        if (options.Cache is { } used) used.Length = options.CacheColumns is null ? Math.Max(used.Length, options.Offset + t) : used.Capacity;

        var hidden = LogitRows(x.view(b, t, c), options);                                         // [B, L, C]
        var logits = _finalNorm.Forward(hidden).matmul(_head.t());                                 // [B, L, V]
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
            _headT?.Dispose();
            foreach (var w in _inference)
                foreach (var view in new[] { w.QkvT, w.OutputT, w.GateUpT, w.DownT }) view.Dispose();
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
