namespace Mercury.AI.Agents.Runners;

/// <summary>A test file of a job: visible ones are shown to the model, hidden ones never are.</summary>
public sealed record TestFile(string Name, string Content);

/// <summary>One test's outcome.</summary>
public sealed record TestCaseResult(string Name, bool Passed, string Message = "");

/// <summary>The outcome of running a candidate solution against a set of test files.</summary>
public sealed record TestRunResult
{
    public required IReadOnlyList<TestCaseResult> Tests { get; init; }

    /// <summary>Program output with the harness's result line removed (already capped by the sandbox).</summary>
    public string Stdout { get; init; } = "";

    public string Stderr { get; init; } = "";

    /// <summary>Why the process ended (exit code, limit hit) — see <see cref="Sandbox.SandboxResult.Describe"/>.</summary>
    public string Exit { get; init; } = "";

    public TimeSpan Duration { get; init; }

    /// <summary>Files the runner produced (screenshots), as absolute host paths.</summary>
    public IReadOnlyList<string> Artifacts { get; init; } = [];

    public int PassedCount => Tests.Count(t => t.Passed);

    public bool Passed => Tests.Count > 0 && Tests.All(t => t.Passed);
}

/// <summary>Runs candidate code of one language against test files, in the sandbox.</summary>
public interface ILanguageRunner
{
    /// <summary>The job-file name of the language: python, javascript, csharp, html.</summary>
    string Language { get; }

    /// <summary>File name the solution is saved under (also in artifacts).</summary>
    string SolutionFileName { get; }

    /// <summary>Tags of a fenced code block that hold this language (```python).</summary>
    IReadOnlyList<string> FenceTags { get; }

    /// <summary>How tests of this language look and how they reach the solution: goes into the model's instructions.</summary>
    string SolutionConventions { get; }

    /// <summary>
    /// Runs <paramref name="solution"/> against <paramref name="tests"/>. <paramref name="workDirectory"/> is a fresh folder
    /// owned by this call. A failure of the candidate is a result, not an exception.
    /// </summary>
    Task<TestRunResult> RunAsync(string solution, IReadOnlyList<TestFile> tests, string workDirectory, CancellationToken cancellationToken = default);
}
