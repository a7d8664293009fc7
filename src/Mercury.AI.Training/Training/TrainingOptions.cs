namespace Mercury.AI.Training.Training;

/// <summary>The recipe. Every field is a command-line option of <c>train</c> (kebab-case, e.g. <c>--batch-size</c>).</summary>
public sealed record TrainingOptions
{
    public required string CorpusFolder { get; init; }
    public required string TokenizerPath { get; init; }
    /// <summary>Run folder: the resumable checkpoint, the log of held-out losses.</summary>
    public required string RunFolder { get; init; }
    /// <summary>Where the finished model is exported (bf16 shards, config, tokenizer); null = no export.</summary>
    public string? ModelFolder { get; init; }
    public TinyModelSpec Model { get; init; } = new();
    public int Steps { get; init; } = 2200;
    public int BatchSize { get; init; } = 16;
    /// <summary>Longest prompt + answer trained on; longer examples are left out.</summary>
    public int MaxTrainLength { get; init; } = 1024;
    /// <summary>Train only on these kinds of example (a curriculum: e.g. functions before pages); null = all.</summary>
    public IReadOnlySet<Corpus.ExampleKind>? Kinds { get; init; }
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>Cosine decays to this fraction of the peak.</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;
    public int WarmupSteps { get; init; } = 50;
    public double WeightDecay { get; init; } = 0.1;
    public double ClipNorm { get; init; } = 1.0;
    public int Seed { get; init; } = 1234;
    /// <summary>Decay of an exponential moving average of the weights, kept with the checkpoint and exported instead of the last step's weights; 0 = none.</summary>
    public double AverageDecay { get; init; }
    public int LogEvery { get; init; } = 10;
    public int EvalEvery { get; init; } = 200;
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>"cpu", "cuda" or "auto". f32 on CPU, bf16 weights on CUDA.</summary>
    public string Device { get; init; } = "cpu";
    public int Threads { get; init; } = 2;
    /// <summary>Stop (after a checkpoint) once this many steps ran in this process; for measuring throughput.</summary>
    public int? MaxStepsThisRun { get; init; }

    /// <summary>
    /// Wall-clock budget for the training loop. When set, the cosine runs over time instead of steps (progress =
    /// elapsed / budget) and training stops when the budget is spent, so a run on a shared CPU ends on time whatever
    /// its throughput; the log records the steps reached. Null: the schedule runs over <see cref="Steps"/>.
    /// </summary>
    public double? Minutes { get; init; }

    /// <summary>Export the checkpoint in the run folder without training.</summary>
    public bool ExportOnly { get; init; }

    public double LearningRateAt(int step, TimeSpan trained = default)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        double progress = Minutes is { } minutes
            ? Math.Min(1.0, trained.TotalMinutes / minutes)
            : Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, Steps - WarmupSteps));
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return LearningRate * (MinLearningRateFraction + (1 - MinLearningRateFraction) * cosine);
    }
}
