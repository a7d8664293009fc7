using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>
/// A folder whose files are reached only by workspace paths: every component of a path is looked at without following
/// links (lstat) from the root down, and a path that leaves the folder, or passes through or ends at a symbolic link,
/// is refused — never followed. The job's copy is changed only through this class (test commands get a read-only view
/// of it in the sandbox and work on their own copy), so nothing can swap a checked folder for a link in between.
/// </summary>
internal sealed class WorkspaceFolder(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>An existing file or folder: its canonical path, host path and kind.</summary>
    public (string Path, string FullPath, Posix.EntryKind Kind) Existing(string? path)
    {
        string relative = WorkspacePaths.Normalize(path);
        string full = Root;
        var kind = Posix.EntryKind.Directory;
        string walked = "";
        foreach (var segment in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (kind != Posix.EntryKind.Directory) throw new WorkspacePathException($"'{walked}' is a file, not a folder");
            walked = walked.Length == 0 ? segment : walked + "/" + segment;
            full = System.IO.Path.Combine(full, segment);
            kind = Posix.Kind(full) ?? throw new WorkspacePathException($"'{walked}' does not exist");
            if (kind == Posix.EntryKind.Link) throw LinkRefused(walked, full);
            if (kind == Posix.EntryKind.Other) throw new WorkspacePathException($"'{walked}' is not a file or folder");
        }
        return (relative, full, kind);
    }

    /// <summary>An existing regular file.</summary>
    public (string Path, string FullPath) ExistingFile(string? path)
    {
        var (relative, full, kind) = Existing(path);
        if (kind != Posix.EntryKind.File) throw new WorkspacePathException(relative.Length == 0 ? "a file path is needed" : $"'{relative}' is a folder, not a file");
        return (relative, full);
    }

    /// <summary>
    /// Where a file may be written: the path's folders exist as real folders or not at all (they are created by
    /// <see cref="Write"/>), and the file itself is absent or a regular file.
    /// </summary>
    public (string Path, string FullPath) ForWrite(string? path)
    {
        string relative = WorkspacePaths.Normalize(path);
        if (relative.Length == 0) throw new WorkspacePathException("a file path is needed");
        var segments = relative.Split('/');
        string full = Root, walked = "";
        for (int i = 0; i < segments.Length; i++)
        {
            walked = walked.Length == 0 ? segments[i] : walked + "/" + segments[i];
            full = System.IO.Path.Combine(full, segments[i]);
            var kind = Posix.Kind(full);
            if (kind is null) break; // nothing below a missing folder exists either
            if (kind == Posix.EntryKind.Link) throw LinkRefused(walked, full);
            bool last = i == segments.Length - 1;
            if (!last && kind != Posix.EntryKind.Directory) throw new WorkspacePathException($"'{walked}' is a file, not a folder");
            if (last && kind != Posix.EntryKind.File) throw new WorkspacePathException($"'{walked}' is a folder, not a file");
        }
        return (relative, System.IO.Path.Combine(Root, relative));
    }

    /// <summary>Writes a file at a path checked by <see cref="ForWrite"/>, creating its folders.</summary>
    public void Write(string checkedFullPath, byte[] content)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(checkedFullPath)!);
        File.WriteAllBytes(checkedFullPath, content);
    }

    /// <summary>Deletes a file and the folders it leaves empty (the workspace records files, not folders).</summary>
    public void Delete(string checkedFullPath)
    {
        File.Delete(checkedFullPath);
        for (var dir = System.IO.Path.GetDirectoryName(checkedFullPath); dir is not null && dir.Length > Root.Length; dir = System.IO.Path.GetDirectoryName(dir))
        {
            if (Directory.EnumerateFileSystemEntries(dir).Any()) break;
            Directory.Delete(dir);
        }
    }

    private static WorkspacePathException LinkRefused(string relative, string full) =>
        new($"'{relative}' is a symbolic link (to '{new FileInfo(full).LinkTarget}'); the file tools do not follow links");
}
