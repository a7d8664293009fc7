using static TorchSharp.torch;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// The one thing a sampler needs from a model: logits for a canvas. Fully bidirectional attention; LLaDA predicts
/// each position from itself, Dream from the position before (the shift happens in the sampler, not here).
/// </summary>
public interface IDiffusionLanguageModel : IDisposable
{
    ModelConfig Config { get; }

    Device Device { get; }

    ScalarType DType { get; }

    /// <summary>Runs the model. <paramref name="inputIds"/> is <c>[B, T]</c> int64; returns logits <c>[B, T', V]</c> in float32,
    /// where T' is <see cref="ForwardOptions.LogitsLength"/> (all T positions by default).</summary>
    Tensor Forward(Tensor inputIds, ForwardOptions? options = null);

    /// <summary>Allocates a key/value cache for <paramref name="batch"/> rows of up to <paramref name="capacity"/> positions.</summary>
    KvCache CreateCache(long batch, long capacity);
}

/// <summary>Optional inputs of <see cref="IDiffusionLanguageModel.Forward"/>.</summary>
public sealed class ForwardOptions
{
    /// <summary>When set, the fresh keys/values are written at <c>[CacheOffset, CacheOffset + T)</c> and attention runs over
    /// the cache's <c>[0, Length)</c> (Length grows to cover the written rows).</summary>
    public KvCache? Cache { get; init; }

    /// <summary>Absolute position of the first fed token; also where its cache row is written.</summary>
    public long Offset { get; init; }

    /// <summary><c>[B, T]</c> int64 cache columns to write the fed tokens to, per row (rows of a continuous batch sit at
    /// different places of the canvas). Overrides <see cref="Offset"/> for the writes.</summary>
    public Tensor? CacheColumns { get; init; }

    /// <summary><c>[B, T]</c> int64 RoPE positions, for left-padded batches. Default: <c>Offset + arange(T)</c>.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary><c>[B, Tk]</c> bool key mask (true = may be attended to) over the keys attended to; null = all.</summary>
    public Tensor? KeyMask { get; init; }

    /// <summary>Causal attention (each fed position sees keys up to itself): only for the autoregressive baseline;
    /// diffusion decoding is bidirectional.</summary>
    public bool Causal { get; init; }

    /// <summary>First fed position whose logits are wanted (the LM head runs only on the wanted rows).</summary>
    public long LogitsStart { get; init; }

    /// <summary>How many positions from <see cref="LogitsStart"/> get logits; null = to the end.</summary>
    public long? LogitsLength { get; init; }

    /// <summary><c>[B, L]</c> int64 fed positions whose logits are wanted, per row; overrides LogitsStart/LogitsLength.</summary>
    public Tensor? LogitsIndex { get; init; }
}
