using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The checkpoint key, e.g. <c>model.transformer.wte.weight</c>.</param>
/// <param name="DType">The safetensors dtype string (F32, F16, BF16, I64, ...).</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="Offset">Byte offset of the data, counted from the start of the file.</param>
/// <param name="Length">Byte length of the data.</param>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Offset, long Length)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors#format): 8-byte little-endian
/// header length, a JSON header, then raw little-endian data. Tensors are read one at a time straight from the
/// mapping, so loading a checkpoint never holds more than one tensor's bytes beyond the model itself.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    // Guard against a corrupt length field asking us to parse gigabytes of "JSON".
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["F64"] = (ScalarType.Float64, 8),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;

    private SafeTensorsFile(string path, Dictionary<string, SafeTensorEntry> entries, IReadOnlyDictionary<string, string> metadata,
        MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
        _map = map;
        _view = view;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates the header (offsets, sizes, dtypes) without reading any tensor data.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "file not found");
        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8) throw new CheckpointException(path, $"truncated safetensors file: {fileLength} bytes, too short for the 8-byte header length");

        byte[] headerBytes;
        using (var stream = File.OpenRead(path))
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            long headerLength = BitConverter.ToInt64(lengthBytes);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes)
                throw new CheckpointException(path, $"corrupt safetensors header: header length {headerLength} is not plausible");
            if (8 + headerLength > fileLength)
                throw new CheckpointException(path, $"truncated safetensors file: header says {headerLength} bytes but the file has {fileLength - 8} after the length field");
            headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
        }

        long dataStart = 8 + headerBytes.Length;
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"corrupt safetensors header: not valid JSON ({e.Message})", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, "corrupt safetensors header: the header is not a JSON object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                    continue;
                }
                entries[property.Name] = ParseEntry(path, property, dataStart, fileLength);
            }
        }

        // A zero-tensor file has nothing to map (and mapping a zero-length region throws).
        if (fileLength == dataStart)
            return new SafeTensorsFile(path, entries, metadata, null, null);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new SafeTensorsFile(path, entries, metadata, map, view);
    }

    private static SafeTensorEntry ParseEntry(string path, JsonProperty property, long dataStart, long fileLength)
    {
        string name = property.Name;
        try
        {
            var value = property.Value;
            string dtype = value.GetProperty("dtype").GetString() ?? "";
            if (!DTypes.TryGetValue(dtype, out var info))
                throw new CheckpointException(path, $"tensor '{name}' has unsupported dtype '{dtype}' (supported: {string.Join(", ", DTypes.Keys)})");
            long[] shape = value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long[] offsets = value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new CheckpointException(path, $"corrupt safetensors header: tensor '{name}' has invalid data_offsets [{string.Join(", ", offsets)}]");
            if (shape.Any(d => d < 0))
                throw new CheckpointException(path, $"corrupt safetensors header: tensor '{name}' has a negative dimension");
            long expected;
            try
            {
                expected = checked(shape.Aggregate(1L, (a, b) => a * b) * info.Size);
            }
            catch (OverflowException)
            {
                throw new CheckpointException(path, $"corrupt safetensors header: tensor '{name}' {dtype}[{string.Join(", ", shape)}] is too large to be real");
            }
            if (offsets[1] - offsets[0] != expected)
                throw new CheckpointException(path, $"corrupt safetensors header: tensor '{name}' {dtype}[{string.Join(", ", shape)}] needs {expected} bytes but its data_offsets span {offsets[1] - offsets[0]}");
            if (offsets[1] > fileLength - dataStart) // not dataStart + offsets[1]: a huge offset would overflow past the check
                throw new CheckpointException(path, $"truncated safetensors file: tensor '{name}' ends at byte {(decimal)dataStart + offsets[1]} but the file has {fileLength}");
            return new SafeTensorEntry(name, dtype, shape, dataStart + offsets[0], offsets[1] - offsets[0]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException(path, $"corrupt safetensors header: tensor '{name}' lacks dtype/shape/data_offsets ({e.Message})", e);
        }
    }

    /// <summary>The TorchSharp scalar type of a safetensors dtype string.</summary>
    public static ScalarType ToScalarType(string dtype) => DTypes[dtype].Type;

    /// <summary>
    /// Reads one tensor into a new CPU tensor of the file's dtype. The caller converts and moves it; reading stays
    /// per tensor so peak host memory is the model plus its largest tensor.
    /// </summary>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var entry)) throw new CheckpointException(Path, $"no tensor named '{name}'");
        var tensor = empty(entry.Shape, ToScalarType(entry.DType));
        if (entry.Length == 0) return tensor;
        unsafe
        {
            byte* basePtr = null;
            _view!.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            try
            {
                var source = new ReadOnlySpan<byte>(basePtr + _view.PointerOffset + entry.Offset, checked((int)Math.Min(entry.Length, int.MaxValue)));
                if (entry.Length <= int.MaxValue)
                {
                    source.CopyTo(tensor.bytes);
                }
                else
                {
                    // Tensors over 2 GiB (large embeddings in f32) are copied in chunks of whole elements.
                    using var flat = tensor.flatten();
                    long elementSize = entry.Length / Math.Max(1, entry.ElementCount);
                    long chunkElements = (1L << 30) / elementSize;
                    for (long first = 0; first < entry.ElementCount; first += chunkElements)
                    {
                        long n = Math.Min(chunkElements, entry.ElementCount - first);
                        using var part = flat.narrow(0, first, n);
                        new ReadOnlySpan<byte>(basePtr + _view.PointerOffset + entry.Offset + first * elementSize, (int)(n * elementSize)).CopyTo(part.bytes);
                    }
                }
            }
            finally
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        return tensor;
    }

    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }
}
