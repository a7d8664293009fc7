using Mercury.AI.Agents.Runners;

namespace Mercury.AI.Agents.Jobs;

/// <summary>Limits of one job. The loop stops at the first one reached.</summary>
public sealed record JobBudget
{
    /// <summary>Model calls in total, over all restarts.</summary>
    public int MaxIterations { get; init; } = 8;

    /// <summary>Fresh starts (a new conversation) after <see cref="RefinementsPerAttempt"/> failed refinements.</summary>
    public int MaxRestarts { get; init; } = 1;

    /// <summary>Refinements of one attempt before it is abandoned for a fresh start.</summary>
    public int RefinementsPerAttempt { get; init; } = 3;

    /// <summary>Output tokens the model may spend over the whole job.</summary>
    public int MaxOutputTokens { get; init; } = 32_000;

    /// <summary>Wall-clock limit of the job, summed over all runs of it (a resumed job keeps its earlier time).</summary>
    public int WallClockSeconds { get; init; } = 900;
}

/// <summary>A coding task: what to write, in which language, and the tests that decide.</summary>
public sealed record JobSpec
{
    public string? Name { get; init; }

    public required string Language { get; init; }

    public required string Instruction { get; init; }

    /// <summary>Shown to the model.</summary>
    public required IReadOnlyList<TestFile> Tests { get; init; }

    /// <summary>Never shown to the model; only their pass count is reported to it.</summary>
    public IReadOnlyList<TestFile> HiddenTests { get; init; } = [];

    public JobBudget Budget { get; init; } = new();
}
