using static TorchSharp.torch;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// Preallocated per-layer keys and values. A cached forward writes its fresh rows in place at <c>[offset, offset + T)</c>
/// (or at given columns) and attends over <c>[0, Length)</c>. That one rule gives both Fast-dLLM caches: prefix cache
/// feeds <c>canvas[block_start:]</c> (its rows replace everything from the block on), dual cache feeds only the block
/// (the suffix rows keep what the block-start forward computed).
/// The cache is per request: it lives in the decoder, never in the model.
/// </summary>
/// <remarks>Layout per layer: <c>[B, Tmax, 2·Hkv, D]</c>, a position's key heads then its value heads, which is how a
/// fused QKV projection lays them out: one scatter writes a step's keys and values. Attention reads
/// <c>[B, Hkv, Tmax, D]</c> views of it, made once here.</remarks>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _storage, _keys, _values;

    public KvCache(int layers, long batch, long capacity, int kvHeads, int headDim, ScalarType dtype, Device device)
    {
        _storage = new Tensor[layers];
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            _storage[i] = zeros([batch, capacity, 2 * kvHeads, headDim], dtype, device);
            using var k = _storage[i].narrow(2, 0, kvHeads);
            using var v = _storage[i].narrow(2, kvHeads, kvHeads);
            _keys[i] = k.permute(0, 2, 1, 3);
            _values[i] = v.permute(0, 2, 1, 3);
        }
        Capacity = capacity;
        Batch = batch;
    }

    public long Capacity { get; }

    public long Batch { get; }

    /// <summary>Rows <c>[0, Length)</c> hold valid keys/values; attention reads that range.</summary>
    public long Length { get; set; }

    /// <summary>The layer's storage, <c>[B, Tmax, 2·Hkv, D]</c>.</summary>
    internal Tensor Storage(int layer) => _storage[layer];

    /// <summary>The layer's keys and values as <c>[B, Hkv, Tmax, D]</c> views of its storage.</summary>
    internal (Tensor Keys, Tensor Values) Layer(int index) => (_keys[index], _values[index]);

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values).Concat(_storage)) t.Dispose();
    }
}
