using static TorchSharp.torch;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// Preallocated per-layer keys and values, <c>[B, Hkv, Tmax, D]</c> each (the layout attention reads). A cached forward writes its fresh rows in
/// place at <c>[offset, offset + T)</c> and attends over <c>[0, Length)</c>. That one rule gives both Fast-dLLM caches:
/// prefix cache feeds <c>canvas[block_start:]</c> (its rows replace everything from the block on), dual cache feeds only
/// the block (the suffix rows keep what the block-start forward computed).
/// The cache is per request: it lives in the decoder, never in the model.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public KvCache(int layers, long batch, long capacity, int kvHeads, int headDim, ScalarType dtype, Device device)
    {
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            _keys[i] = zeros([batch, kvHeads, capacity, headDim], dtype, device);
            _values[i] = zeros([batch, kvHeads, capacity, headDim], dtype, device);
        }
        Capacity = capacity;
        Batch = batch;
    }

    public long Capacity { get; }

    public long Batch { get; }

    /// <summary>Rows <c>[0, Length)</c> hold valid keys/values; attention reads that range.</summary>
    public long Length { get; set; }

    internal (Tensor Keys, Tensor Values) Layer(int index) => (_keys[index], _values[index]);

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
