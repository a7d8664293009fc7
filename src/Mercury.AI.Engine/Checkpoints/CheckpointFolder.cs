using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Checkpoints;

/// <summary>
/// A HuggingFace-layout checkpoint folder: <c>config.json</c> plus its weights. Gives one key space over all shards.
/// </summary>
/// <remarks>
/// Which weights, when the caller names no file: <c>model.safetensors</c> if present; else the shards named by
/// <c>model.safetensors.index.json</c>; else the folder's only <c>*.safetensors</c> file, whatever its name (e.g. a
/// folder holding just <c>model.bf16.safetensors</c>). Several unnamed <c>*.safetensors</c> files and no index is an
/// error that lists them: they may be shards whose index is missing or copies in different precisions, and guessing
/// would load the wrong weights or fail later with a misleading "missing tensors". Whenever other weights files sit
/// beside the chosen ones, the choice is logged.
/// </remarks>
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

    /// <summary>The weights files in use, in load order.</summary>
    public IReadOnlyList<string> WeightsFiles => _files.Select(f => f.Path).ToList();

    /// <summary>Opens the folder and every shard header; reads no tensor data.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="weightsFileName">A single weights file to use instead of the default lookup (e.g. <c>model.bf16.safetensors</c>).</param>
    /// <param name="logger">Told which weights were chosen when the folder holds others too.</param>
    public static CheckpointFolder Open(string folder, string? weightsFileName = null, ILogger? logger = null)
    {
        if (!Directory.Exists(folder)) throw new CheckpointException(folder, "checkpoint folder not found");
        logger ??= NullLogger.Instance;
        var files = new List<SafeTensorsFile>();
        var byKey = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            string index = Path.Combine(folder, IndexFileName);
            string? single = weightsFileName ?? (File.Exists(Path.Combine(folder, SingleFileName)) ? SingleFileName
                : File.Exists(index) ? null : OnlyWeightsFile(folder));
            if (single is null)
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
                string path = Path.Combine(folder, single);
                if (!File.Exists(path))
                    throw new CheckpointException(folder, $"no weights: expected '{single}'" + (weightsFileName is null ? $" or '{IndexFileName}' with its shards" : ""));
                var file = SafeTensorsFile.Open(path);
                files.Add(file);
                foreach (var key in file.Entries.Keys) byKey[key] = file;
            }
            var chosen = files.Select(f => Path.GetFileName(f.Path)).ToHashSet(StringComparer.Ordinal);
            var others = WeightsFileNames(folder).Where(n => !chosen.Contains(n)).ToList();
            if (others.Count > 0)
                logger.LogInformation("Loading {Chosen} from {Folder}; also there, unused: {Others} (pick one with WeightsFileName)",
                    string.Join(", ", chosen.Order(StringComparer.Ordinal)), folder, string.Join(", ", others));
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
        return new CheckpointFolder(folder, files, byKey);
    }

    private static List<string> WeightsFileNames(string folder) =>
        Directory.EnumerateFiles(folder, "*.safetensors").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToList();

    /// <summary>The folder's one <c>*.safetensors</c> file when there is neither <c>model.safetensors</c> nor an index.</summary>
    private static string OnlyWeightsFile(string folder)
    {
        var names = WeightsFileNames(folder);
        return names.Count switch
        {
            1 => names[0],
            0 => throw new CheckpointException(folder, $"no weights: expected '{SingleFileName}', '{IndexFileName}' with its shards, or one *.safetensors file"),
            _ => throw new CheckpointException(folder,
                $"several weights files and no '{IndexFileName}' to say which to load: {string.Join(", ", names)}. " +
                "Name one (ModelLoadOptions.WeightsFileName), or add the index if they are shards of one checkpoint"),
        };
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
