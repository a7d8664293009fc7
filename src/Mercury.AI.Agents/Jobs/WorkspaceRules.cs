using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Jobs;

/// <summary>The checks of a workspace job (called by <see cref="JobSpecParser.Validate"/>), and the packing of its folders.</summary>
public static class WorkspaceRules
{
    /// <summary>Languages a workspace can be tested in: each has a sandbox profile (limits, environment) for its tools.</summary>
    public static IReadOnlyCollection<string> Languages { get; } = ["python", "javascript", "csharp"];

    public const int MaxTestCommands = 10;
    public const int MaxCommandChars = 4096;
    public const int MaxHiddenFiles = 200;

    /// <summary>The spec with <c>path</c> and <c>hiddenPath</c> replaced by the files they name (relative to <paramref name="baseDirectory"/>).</summary>
    public static JobSpec Pack(JobSpec spec, string baseDirectory)
    {
        var workspace = spec.Workspace!;
        var problems = new List<string>();
        if (workspace.Path is not null && workspace.Files is { Count: > 0 }) problems.Add("workspace: give path or files, not both");
        if (workspace.HiddenPath is not null && workspace.HiddenFiles is { Count: > 0 }) problems.Add("workspace: give hiddenPath or hiddenFiles, not both");
        if (problems.Count > 0) throw new JobSpecException(problems);
        var files = workspace.Path is { } path ? WorkspacePacker.Pack(Path.GetFullPath(path, baseDirectory), "workspace.path") : workspace.Files;
        var hidden = workspace.HiddenPath is { } hiddenPath ? WorkspacePacker.Pack(Path.GetFullPath(hiddenPath, baseDirectory), "workspace.hiddenPath") : workspace.HiddenFiles;
        return spec with { Workspace = workspace with { Path = null, Files = files, HiddenPath = null, HiddenFiles = hidden } };
    }

    public static void Check(JobSpec spec, List<string> problems)
    {
        var w = spec.Workspace!;
        if (!string.IsNullOrWhiteSpace(spec.Language) && !Languages.Contains(spec.Language, StringComparer.OrdinalIgnoreCase))
            problems.Add($"language '{spec.Language}' has no workspace profile; workspace jobs are {string.Join(", ", Languages)}");
        if (spec.Tests is { Count: > 0 } || spec.HiddenTests is { Count: > 0 })
            problems.Add("tests and hiddenTests are for function jobs; a workspace job runs workspace.testCommands, with workspace.hiddenFiles laid over for the final check");
        if (w.Path is not null || w.HiddenPath is not null)
            problems.Add("workspace.path and workspace.hiddenPath are folders that mercury-agents submit/run pack into files; the HTTP API takes workspace.files and workspace.hiddenFiles");
        if (w.Files is null) problems.Add("workspace.files is null");
        else if (w.Files.Count == 0 && w.Path is null) problems.Add("workspace: no files (give workspace.path, a folder, or workspace.files)");
        if (w.HiddenFiles is null) problems.Add("workspace.hiddenFiles is null; leave it out for none");
        CheckFiles("workspace.files", w.Files ?? [], allowLinks: true, WorkspacePacker.MaxFiles, problems);
        CheckFiles("workspace.hiddenFiles", w.HiddenFiles ?? [], allowLinks: false, MaxHiddenFiles, problems);

        if (w.TestCommands is null || w.TestCommands.Count == 0) problems.Add("workspace.testCommands: at least one command is needed (for example \"python3 -m pytest -q\")");
        else if (w.TestCommands.Count > MaxTestCommands) problems.Add($"workspace.testCommands: {w.TestCommands.Count} commands; the limit is {MaxTestCommands}");
        for (int i = 0; i < (w.TestCommands?.Count ?? 0); i++)
        {
            string? command = w.TestCommands![i];
            if (string.IsNullOrWhiteSpace(command)) problems.Add($"workspace.testCommands[{i}] is empty");
            else if (command.Length > MaxCommandChars) problems.Add($"workspace.testCommands[{i}] is {command.Length} characters; the limit is {MaxCommandChars}");
            else if (command.Contains('\0')) problems.Add($"workspace.testCommands[{i}] contains a NUL character");
        }
        if (w.TestTimeoutSeconds is { } timeout) JobSpecParser.Range("workspace.testTimeoutSeconds", timeout, 1, 3600, problems);
    }

    private static void CheckFiles(string field, IReadOnlyList<WorkspaceFile> files, bool allowLinks, int maxFiles, List<string> problems)
    {
        if (files.Count > maxFiles) problems.Add($"{field}: {files.Count} files; the limit is {maxFiles}");
        var paths = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        for (int i = 0; i < files.Count; i++)
        {
            var f = files[i];
            if (f is null) { problems.Add($"{field}[{i}] is null"); continue; }
            if (WorkspacePaths.Problem(f.Path) is { } bad) { problems.Add($"{field}[{i}].path {bad}"); continue; }
            if (!paths.Add(f.Path)) problems.Add($"{field}[{i}].path '{f.Path}' is used twice");
            int kinds = (f.Content is null ? 0 : 1) + (f.Base64 is null ? 0 : 1) + (f.Link is null ? 0 : 1);
            if (kinds != 1) problems.Add($"{field}[{i}] ('{f.Path}') needs exactly one of content, base64 and link");
            if (f.Base64 is not null && !IsBase64(f.Base64)) problems.Add($"{field}[{i}].base64 ('{f.Path}') is not valid base64");
            if (f.Link is not null && !allowLinks) problems.Add($"{field}[{i}] ('{f.Path}') is a link; hidden files must be files");
            if (f.Link is "" || f.Link?.Contains('\0') == true) problems.Add($"{field}[{i}].link ('{f.Path}') is not a link target");
            bytes += f.Size;
        }
        if (bytes > WorkspacePacker.MaxBytes) problems.Add($"{field}: {bytes / 1024} KiB of files; the limit is {WorkspacePacker.MaxBytes / 1024} KiB");
        // A path cannot be a file and a folder at once ("a" and "a/b").
        foreach (var p in paths)
            for (int slash = p.IndexOf('/'); slash > 0; slash = p.IndexOf('/', slash + 1))
                if (paths.Contains(p[..slash])) { problems.Add($"{field}: '{p[..slash]}' is a file and also the folder of '{p}'"); break; }
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length / 4 * 3 + 3];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}
