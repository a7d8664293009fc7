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

    /// <summary>Workspace jobs: model calls (turns) in total. Function jobs count <see cref="MaxIterations"/> instead.</summary>
    public int MaxTurns { get; init; } = 30;

    /// <summary>Workspace jobs: tool calls in total (file reads and edits, test runs, finish).</summary>
    public int MaxToolCalls { get; init; } = 60;
}

/// <summary>
/// A coding task: what to write, in which language, and the tests that decide. A function job (no
/// <see cref="Workspace"/>) asks for one solution file tested by <see cref="Tests"/>; a workspace job changes a whole
/// repository through tool calls and is tested by the repository's own test commands.
/// </summary>
public sealed record JobSpec
{
    public string? Name { get; init; }

    public required string Language { get; init; }

    public required string Instruction { get; init; }

    /// <summary>Function jobs: shown to the model.</summary>
    public IReadOnlyList<TestFile> Tests { get; init; } = [];

    /// <summary>Never shown to the model; only their pass count is reported to it.</summary>
    public IReadOnlyList<TestFile> HiddenTests { get; init; } = [];

    public JobBudget Budget { get; init; } = new();

    /// <summary>Set for a workspace job: the repository, its test commands and hidden test files.</summary>
    public WorkspaceSpec? Workspace { get; init; }
}
