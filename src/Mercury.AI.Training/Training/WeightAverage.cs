using Mercury.AI.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Training.Training;

/// <summary>
/// An exponential moving average of the weights (Polyak averaging). A long CPU run is measured and shipped mid-way,
/// often while its learning rate is still high; the average over the last ~1/(1-decay) steps is a steadier model
/// than the last step's weights. It lives beside the checkpoint (<see cref="FileName"/>) and resumes with it.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    public const string FileName = "ema.safetensors";

    private readonly (string Name, Tensor Weight, Tensor Average)[] _weights;
    private readonly double _decay;

    /// <summary>Starts from the saved average in <paramref name="checkpointFolder"/> when there is one, else from the model's weights.</summary>
    public WeightAverage(nn.Module model, double decay, string checkpointFolder)
    {
        if (decay is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The average's decay must be in (0, 1), e.g. 0.999.");
        _decay = decay;
        using var noGrad = no_grad();
        using var saved = File.Exists(Path.Combine(checkpointFolder, FileName)) ? CheckpointFolder.Open(checkpointFolder, FileName) : null;
        _weights = model.named_parameters().Select(p =>
        {
            using var start = saved?.Read(p.name);
            if (start is not null && !start.shape.SequenceEqual(p.parameter.shape))
                throw new InvalidDataException($"{Path.Combine(checkpointFolder, FileName)}: '{p.name}' has shape [{string.Join(", ", start.shape)}], the model's is [{string.Join(", ", p.parameter.shape)}]");
            return (p.name, (Tensor)p.parameter, (start ?? p.parameter).detach().to(p.parameter.dtype, p.parameter.device).clone());
        }).ToArray();
        Resumed = saved is not null;
    }

    /// <summary>Whether the average came from the checkpoint.</summary>
    public bool Resumed { get; }

    /// <summary>average ← decay·average + (1 − decay)·weight, after each optimizer step.</summary>
    public void Update()
    {
        using var noGrad = no_grad();
        foreach (var (_, weight, average) in _weights) average.lerp_(weight, 1 - _decay);
    }

    /// <summary>Exchanges the model's weights and the average: call once to evaluate or export the average, again to go back.</summary>
    public void Swap()
    {
        using var noGrad = no_grad();
        foreach (var (_, weight, average) in _weights)
        {
            using var held = weight.detach().clone();
            weight.copy_(average);
            average.copy_(held);
        }
    }

    public void Save(string folder) =>
        SafeTensorsWriter.Write(Path.Combine(folder, FileName), _weights.Select(w => KeyValuePair.Create(w.Name, w.Average)));

    public void Dispose()
    {
        foreach (var (_, _, average) in _weights) average.Dispose();
    }
}
