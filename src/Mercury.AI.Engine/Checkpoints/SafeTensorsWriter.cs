using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Checkpoints;

/// <summary>Writes safetensors files and sharded checkpoints in the layout HuggingFace's <c>save_pretrained</c> uses.</summary>
public static class SafeTensorsWriter
{
    private static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Float64] = "F64", [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32",
        [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8", [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    /// <summary>Writes <paramref name="tensors"/> (in the given order) into one safetensors file.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, tensor) in list)
        {
            if (!Names.TryGetValue(tensor.dtype, out var dtype))
                throw new NotSupportedException($"Cannot write tensor '{name}' of dtype {tensor.dtype} to safetensors.");
            long length = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new { dtype, shape = tensor.shape, data_offsets = new[] { offset, offset + length } };
            offset += length;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        // Pad the header with spaces to an 8-byte boundary, as the reference writer does, so data stays aligned.
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < padded; i++) headerBytes[i] = (byte)' ';

        string tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            stream.Write(BitConverter.GetBytes((long)padded));
            stream.Write(headerBytes);
            foreach (var (_, tensor) in list)
            {
                using var cpu = tensor.detach().cpu().contiguous();
                if (cpu.NumberOfElements == 0) continue;
                stream.Write(cpu.bytes);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Writes <c>model-0000N-of-0000M.safetensors</c> shards of at most <paramref name="maxShardBytes"/> each, plus
    /// <c>model.safetensors.index.json</c>; a checkpoint that fits one shard is written as <c>model.safetensors</c>.
    /// </summary>
    public static IReadOnlyList<string> WriteSharded(string folder, IEnumerable<KeyValuePair<string, Tensor>> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0, total = 0;
        foreach (var pair in tensors)
        {
            long size = pair.Value.NumberOfElements * pair.Value.ElementSize;
            if (current > 0 && current + size > maxShardBytes)
            {
                shards.Add(new());
                current = 0;
            }
            shards[^1].Add(pair);
            current += size;
            total += size;
        }

        if (shards.Count == 1)
        {
            string single = Path.Combine(folder, "model.safetensors");
            Write(single, shards[0], metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
            return [single];
        }

        var files = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            string file = Path.Combine(folder, name);
            Write(file, shards[i], metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var (key, _) in shards[i]) weightMap[key] = name;
            files.Add(file);
        }
        var index = new { metadata = new { total_size = total }, weight_map = weightMap };
        File.WriteAllText(Path.Combine(folder, CheckpointFolder.IndexFileName),
            JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }), Encoding.UTF8);
        return files;
    }
}
