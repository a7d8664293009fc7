using System.Diagnostics;
using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Models;

/// <summary>Where and how to load a checkpoint.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Target device; null = CPU.</summary>
    public Device? Device { get; init; }

    /// <summary>Target dtype; null = bf16 on CUDA, f32 on CPU.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>Load this single weights file of the folder (e.g. <c>model.bf16.safetensors</c>). Null: <c>model.safetensors</c>,
    /// else the index's shards, else the folder's only <c>*.safetensors</c> (see <see cref="CheckpointFolder"/>).</summary>
    public string? WeightsFileName { get; init; }
}

/// <summary>
/// Loads HuggingFace-layout checkpoints strictly: every parameter the architecture declares must be in the checkpoint
/// with its exact shape, and the checkpoint may hold nothing else. Tensors stream one at a time from the memory-mapped
/// files into the preallocated model, so a 16 GB checkpoint needs 16 GB plus one tensor, not twice that.
/// </summary>
public static class ModelLoader
{
    public static IDiffusionLanguageModel Load(string folder, ModelLoadOptions? options = null, ILogger? logger = null)
    {
        options ??= new ModelLoadOptions();
        logger ??= NullLogger.Instance;
        TorchRuntime.EnsureNativeLibrary();
        var device = options.Device ?? CPU;
        var dtype = options.DType ?? (device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32);
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"Unsupported model dtype {dtype}; use Float32, BFloat16 or Float16.", nameof(options));

        var stopwatch = Stopwatch.StartNew();
        if (File.Exists(folder)) throw new CheckpointException(folder, "is a file, not a checkpoint folder; pass the folder that holds config.json and the weights");
        if (!Directory.Exists(folder)) throw new CheckpointException(folder, "checkpoint folder not found");
        var config = ModelConfig.FromFile(Path.Combine(folder, CheckpointFolder.ConfigFileName));
        using var checkpoint = CheckpointFolder.Open(folder, options.WeightsFileName, logger);
        var model = Create(config, new ModelBuildOptions { Device = device, DType = dtype });
        try
        {
            LoadWeights(model, checkpoint);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        logger.LogInformation("Loaded {Architecture} from {Weights} ({Layers} layers, d={Hidden}, vocab {Vocab}) as {DType} on {Device} in {Ms} ms",
            config.Architecture, string.Join(", ", checkpoint.WeightsFiles), config.NumLayers, config.HiddenSize, config.VocabSize, dtype, device, stopwatch.ElapsedMilliseconds);
        return model;
    }

    /// <summary>Builds an architecture with uninitialised weights (for loading, or for random-weight benchmarks after an init).</summary>
    public static DiffusionTransformer Create(ModelConfig config, ModelBuildOptions options) => config.Architecture switch
    {
        ModelArchitecture.LLaDA => new LLaDAModel(config, options),
        ModelArchitecture.Dream => new DreamModel(config, options),
        _ => throw new NotSupportedException($"Architecture {config.Architecture} is not supported."),
    };

    /// <summary>Copies every checkpoint tensor into the model's parameter of the same name, converting dtype and device.</summary>
    public static void LoadWeights(nn.Module model, CheckpointFolder checkpoint)
    {
        var parameters = model.named_parameters().ToList();
        var expected = parameters.Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(k => !checkpoint.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(checkpoint.FolderPath, $"missing {missing.Count} tensor(s) the architecture needs: {Preview(missing)}");
        var extra = checkpoint.Keys.Where(k => !expected.Contains(k)).ToList();
        if (extra.Count > 0)
            throw new CheckpointException(checkpoint.FileOf(extra[0]), $"holds {extra.Count} tensor(s) the architecture does not use: {Preview(extra)}");

        foreach (var (name, parameter) in parameters)
        {
            var entry = checkpoint.GetEntry(name);
            if (!entry.Shape.SequenceEqual(parameter.shape))
                throw new CheckpointException(checkpoint.FileOf(name),
                    $"tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] but the config implies [{string.Join(", ", parameter.shape)}]");
            var kind = SafeTensorsFile.ToScalarType(entry.DType);
            if (kind is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
                throw new CheckpointException(checkpoint.FileOf(name), $"tensor '{name}' has dtype {entry.DType}; weights must be F32, F16 or BF16");
            using var noGrad = no_grad();
            using var source = checkpoint.Read(name);
            parameter.copy_(source); // converts dtype and moves to the device in one step
        }
    }

    private static string Preview(List<string> keys) => string.Join(", ", keys.Take(5)) + (keys.Count > 5 ? $", ... ({keys.Count - 5} more)" : "");
}
