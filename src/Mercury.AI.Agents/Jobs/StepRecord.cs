namespace Mercury.AI.Agents.Jobs;

/// <summary>What a step of a workspace job was.</summary>
public enum StepKind
{
    /// <summary>A model reply: its text and the tool calls it asked for.</summary>
    Model,

    /// <summary>One tool call and its result (and the files it changed).</summary>
    Tool,

    /// <summary>The final check: the test commands on the final workspace, then with the hidden files laid over.</summary>
    Check,
}

public static class StepKindExtensions
{
    public static string ToWire(this StepKind kind) => kind.ToString().ToLowerInvariant();

    public static StepKind ParseWire(string value) => Enum.Parse<StepKind>(value, ignoreCase: true);
}

/// <summary>
/// One step of a workspace job, stored before the next begins. The steps are the job's transcript and its checkpoint:
/// replaying the <see cref="Data"/> of its tool steps over the original files gives the workspace after any step, and
/// the model steps and tool results rebuild the conversation, so a resumed job continues from its last stored step.
/// </summary>
public sealed record StepRecord
{
    /// <summary>1, 2, … in the order the steps happened.</summary>
    public required int Number { get; init; }

    /// <summary>The model turn the step belongs to (a model step and the tool calls it asked for share it).</summary>
    public required int Turn { get; init; }

    public required StepKind Kind { get; init; }

    /// <summary>Tool steps: the tool's name. Check steps: "check".</summary>
    public string Name { get; init; } = "";

    /// <summary>Tool steps: the id of the call it answers.</summary>
    public string CallId { get; init; } = "";

    /// <summary>Model steps: the reply's text. Tool steps: the arguments (JSON). Check steps: the commands. For reading;
    /// capped by the store like an iteration's text.</summary>
    public string Input { get; init; } = "";

    /// <summary>Tool steps: the result the model was given. Check steps: the test output. Capped like <see cref="Input"/>.</summary>
    public string Output { get; init; } = "";

    /// <summary>
    /// The machine-readable state the job resumes from, stored whole (never cut; the store refuses one larger than
    /// <see cref="Storage.JobStoreLimits.MaxStepDataChars"/>). Model steps: the tool calls, JSON
    /// (<c>[{"callId","name","arguments"}]</c>). Tool steps: the files the call changed, JSON
    /// (<c>[{"path","content"}]</c>, content null for a deleted file). Check steps: the results, JSON.
    /// </summary>
    public string Data { get; init; } = "";

    /// <summary>Test runs (run_tests, check): whether every command passed; null for other steps.</summary>
    public bool? Passed { get; init; }

    public int OutputTokens { get; init; }

    public required TimeSpan Duration { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The lease generation (claim) that stored it; set by the store.</summary>
    public int Claim { get; init; }
}
