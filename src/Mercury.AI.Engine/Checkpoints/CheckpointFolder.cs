using System.Text.Json;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Checkpoints;

/// <summary>
/// A HuggingFace-layout checkpoint folder: <c>config.json</c> plus either <c>model.safetensors</c> or the shards
/// named by <c>model.safetensors.index.json</c>. Gives one key space over all shards.
/// </summary>
public sealed class CheckpointFolder : IDisposable
{
    public const string ConfigFileName = "config.json";
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";
    public const string TokenizerFileName = "tokenizer.json";

    private readonly Dictionary<string, SafeTensorsFile> _fileByKey;
    private readonly List<SafeTensorsFile> _files;

    private CheckpointFolder(string folder, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileByKey)
    {
        FolderPath = folder;
        _files = files;
        _fileByKey = fileByKey;
    }

    public string FolderPath { get; }

    public string ConfigPath => Path.Combine(FolderPath, ConfigFileName);

    /// <summary>Every tensor of the checkpoint, by key.</summary>
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries =>
        _fileByKey.ToDictionary(p => p.Key, p => p.Value.Entries[p.Key], StringComparer.Ordinal);

    public IEnumerable<string> Keys => _fileByKey.Keys;

    /// <summary>Opens the folder and every shard header; reads no tensor data.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="weightsFileName">A single weights file to use instead of the default lookup (e.g. <c>model.bf16.safetensors</c>).</param>
    public static CheckpointFolder Open(string folder, string? weightsFileName = null)
    {
        if (!Directory.Exists(folder)) throw new CheckpointException(folder, "checkpoint folder not found");
        var files = new List<SafeTensorsFile>();
        var byKey = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            string index = Path.Combine(folder, IndexFileName);
            if (weightsFileName is null && !File.Exists(Path.Combine(folder, SingleFileName)) && File.Exists(index))
            {
                foreach (var (key, shardName) in ReadIndex(index))
                {
                    var shard = files.FirstOrDefault(f => Path.GetFileName(f.Path) == shardName);
                    if (shard is null)
                    {
                        string shardPath = Path.Combine(folder, shardName);
                        if (!File.Exists(shardPath)) throw new CheckpointException(index, $"names shard '{shardName}' (for '{key}') which does not exist");
                        shard = SafeTensorsFile.Open(shardPath);
                        files.Add(shard);
                    }
                    if (!shard.Entries.ContainsKey(key))
                        throw new CheckpointException(shard.Path, $"the index says this shard holds '{key}' but its header does not");
                    byKey[key] = shard;
                }
                foreach (var shard in files)
                    foreach (var key in shard.Entries.Keys)
                        if (!byKey.ContainsKey(key)) throw new CheckpointException(shard.Path, $"holds '{key}' which the index ({IndexFileName}) does not list");
            }
            else
            {
                string single = Path.Combine(folder, weightsFileName ?? SingleFileName);
                if (!File.Exists(single))
                    throw new CheckpointException(folder, $"no weights: expected '{weightsFileName ?? SingleFileName}' or '{IndexFileName}' with its shards");
                var file = SafeTensorsFile.Open(single);
                files.Add(file);
                foreach (var key in file.Entries.Keys) byKey[key] = file;
            }
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
        return new CheckpointFolder(folder, files, byKey);
    }

    private static IEnumerable<KeyValuePair<string, string>> ReadIndex(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(indexPath, "has no 'weight_map' object");
            return map.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String
                ? new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)
                : throw new CheckpointException(indexPath, $"weight_map entry '{p.Name}' is not a shard file name")).ToList();
        }
        catch (JsonException e)
        {
            throw new CheckpointException(indexPath, $"is not valid JSON ({e.Message})", e);
        }
    }

    public bool Contains(string key) => _fileByKey.ContainsKey(key);

    public SafeTensorEntry GetEntry(string key) =>
        _fileByKey.TryGetValue(key, out var f) ? f.Entries[key] : throw new CheckpointException(FolderPath, $"missing tensor '{key}'");

    /// <summary>The file that holds <paramref name="key"/>, for error messages.</summary>
    public string FileOf(string key) => _fileByKey.TryGetValue(key, out var f) ? f.Path : FolderPath;

    /// <summary>Reads one tensor as stored (CPU, file dtype).</summary>
    public Tensor Read(string key) =>
        _fileByKey.TryGetValue(key, out var f) ? f.Read(key) : throw new CheckpointException(FolderPath, $"missing tensor '{key}'");

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
