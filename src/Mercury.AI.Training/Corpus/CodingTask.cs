namespace Mercury.AI.Training.Corpus;

/// <summary>What kind of example a task is; decides how its answer is checked.</summary>
public enum TaskKind
{
    Python,
    JavaScript,
    Html,
    /// <summary>A previous attempt and its failing test output in the prompt, the fixed code as the answer.</summary>
    Refinement,
    /// <summary>The answer is one tool call in the provider's <c>&lt;tool_call&gt;</c> syntax.</summary>
    ToolCall,
}

/// <summary>Which part of the corpus an example belongs to. Split by template, not only by instance.</summary>
public enum CorpusSplit
{
    Train,
    /// <summary>New instances of templates that appear in training (instructions never seen in training).</summary>
    HeldOutSeen,
    /// <summary>Instances of templates that never appear in training.</summary>
    Unseen,
}

/// <summary>
/// One example: the user's instruction, the assistant's answer (a fenced code block or a tool call) and what checks it.
/// <see cref="Tests"/> is a runnable test program for Python/JavaScript (plain asserts / node's assert, with the
/// candidate code pasted in front), a list of DOM checks for HTML, and the expected call for tool calls.
/// </summary>
public sealed record CodingTask
{
    public required string Id { get; init; }
    public required string TemplateId { get; init; }
    public required TaskKind Kind { get; init; }
    /// <summary>The language of the code in the answer ("python", "javascript", "html"); "json" for tool calls.</summary>
    public required string Language { get; init; }
    public required string System { get; init; }
    public required string Instruction { get; init; }
    public required string Answer { get; init; }
    /// <summary>The reference solution (the code inside the answer's fence).</summary>
    public required string Solution { get; init; }
    public required string Tests { get; init; }
    /// <summary>HTML only: substrings the page must contain (the static form of the DOM checks in <see cref="Tests"/>).</summary>
    public IReadOnlyList<string> RequiredSnippets { get; init; } = [];
    /// <summary>The instruction without a previous attempt (refinement examples wrap it).</summary>
    public string? BaseInstruction { get; init; }
    public CorpusSplit Split { get; init; }
}
