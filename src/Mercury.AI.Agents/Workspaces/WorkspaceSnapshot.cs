using System.Text;
using System.Text.Json;
using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>A file a tool call wrote (<see cref="Content"/>) or deleted (null): the unit of a workspace checkpoint.</summary>
public sealed record FileChange(string Path, string? Content);

/// <summary>The <see cref="StepRecord.Data"/> of a tool step: the files it changed and, for run_tests, the test run.</summary>
public sealed record ToolStepData(IReadOnlyList<FileChange>? Changes = null, WorkspaceTestRun? Tests = null);

/// <summary>
/// The files of a workspace at one point of a job: the original files with the changes of the stored tool steps
/// applied in order. Rebuilding it from the store is how a resumed job (on any host) gets its workspace back, and how
/// the final patch is made.
/// </summary>
public sealed class WorkspaceSnapshot
{
    private readonly SortedDictionary<string, WorkspaceFile> _files = new(StringComparer.Ordinal);

    public WorkspaceSnapshot(IEnumerable<WorkspaceFile> files)
    {
        foreach (var f in files) _files[f.Path] = f;
    }

    public IReadOnlyCollection<WorkspaceFile> Files => _files.Values;

    public WorkspaceFile? this[string path] => _files.GetValueOrDefault(path);

    /// <summary>The original files of <paramref name="spec"/> with the changes of its tool <paramref name="steps"/>.</summary>
    public static WorkspaceSnapshot From(JobSpec spec, IEnumerable<StepRecord> steps)
    {
        var snapshot = new WorkspaceSnapshot(spec.Workspace?.Files ?? []);
        foreach (var step in steps.Where(s => s.Kind == StepKind.Tool).OrderBy(s => s.Number)) snapshot.Apply(ReadToolData(step.Data).Changes ?? []);
        return snapshot;
    }

    public void Apply(IEnumerable<FileChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.Content is null) _files.Remove(change.Path);
            else _files[change.Path] = new WorkspaceFile(change.Path, Content: change.Content,
                Executable: _files.GetValueOrDefault(change.Path)?.Executable ?? false);
        }
    }

    /// <summary>This snapshot with <paramref name="overlay"/> laid over it (hidden tests replace files of the same path).</summary>
    public WorkspaceSnapshot With(IEnumerable<WorkspaceFile> overlay)
    {
        var copy = new WorkspaceSnapshot(_files.Values);
        foreach (var f in overlay) copy._files[f.Path] = f;
        return copy;
    }

    /// <summary>Writes the files into the empty (or missing) folder <paramref name="root"/>: text as UTF-8, links as links.</summary>
    public void Materialize(string root)
    {
        Directory.CreateDirectory(root);
        foreach (var f in _files.Values)
        {
            string path = Path.Combine(root, f.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (f.Link is { } target) { File.CreateSymbolicLink(path, target); continue; }
            File.WriteAllBytes(path, f.Content is { } text ? Utf8.GetBytes(text) : Convert.FromBase64String(f.Base64!));
            if (f.Executable) _ = Sandbox.Posix.Chmod(path, 0x1ED); // 0755
        }
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // Code stays readable in the store (no \u escapes for quotes, < or non-ASCII letters).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string WriteToolData(ToolStepData data) =>
        data.Changes is not { Count: > 0 } && data.Tests is null ? "" : JsonSerializer.Serialize(data, Json);

    public static ToolStepData ReadToolData(string data) =>
        string.IsNullOrEmpty(data) ? new ToolStepData() : JsonSerializer.Deserialize<ToolStepData>(data, Json) ?? new ToolStepData();
}
