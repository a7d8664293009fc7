using System.Text.Json.Serialization;

namespace Mercury.AI.Agents.Jobs;

/// <summary>
/// The repository of a workspace job. A job file names a folder (<see cref="Path"/>, relative to the job file) that
/// <c>mercury-agents submit</c> and <c>run</c> pack into <see cref="Files"/>; what is stored, and what the HTTP API
/// takes, is the files themselves, so a job does not depend on the folder after it is queued and any host can run it.
/// </summary>
public sealed record WorkspaceSpec
{
    /// <summary>Job files only: the folder (or local git repository) to pack; empty once packed.</summary>
    public string? Path { get; init; }

    public IReadOnlyList<WorkspaceFile> Files { get; init; } = [];

    /// <summary>Shell commands run in the workspace (each in a fresh sandboxed copy); the tests pass when all exit 0.</summary>
    public IReadOnlyList<string> TestCommands { get; init; } = [];

    /// <summary>Job files only: a folder whose files are laid over the workspace for the final check.</summary>
    public string? HiddenPath { get; init; }

    /// <summary>Laid over the final workspace (replacing files of the same path) for the final check only; never
    /// shown to the model, which learns only whether they passed.</summary>
    public IReadOnlyList<WorkspaceFile> HiddenFiles { get; init; } = [];

    /// <summary>Wall clock of one test command; null = the language's default (120 s, C# 600 s).</summary>
    public int? TestTimeoutSeconds { get; init; }
}

/// <summary>
/// A file of a workspace: text (<see cref="Content"/>), bytes that are not text (<see cref="Base64"/>; carried along,
/// never edited), or a symbolic link (<see cref="Link"/>: its target, verbatim; the file tools never follow one).
/// </summary>
public sealed record WorkspaceFile(string Path, string? Content = null, string? Base64 = null, string? Link = null, bool Executable = false)
{
    [JsonIgnore]
    public bool IsText => Content is not null;

    [JsonIgnore]
    public long Size => Content?.Length ?? (Base64 is null ? Link?.Length ?? 0 : Base64.Length / 4 * 3);
}
