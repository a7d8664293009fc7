using System.Diagnostics;
using System.Text;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>
/// Reads a folder into workspace files. A git repository (a folder with <c>.git</c>) gives the files git would carry —
/// tracked and untracked-but-not-ignored (<c>git ls-files --cached --others --exclude-standard</c>), as they are in the
/// working tree; any other folder gives everything but <c>.git</c>. Symbolic links are kept as links, never followed
/// (a repository's link to <c>~/.ssh</c> does not carry the keys along). Every problem is collected, so one error
/// lists them all.
/// </summary>
public static class WorkspacePacker
{
    public const int MaxFiles = 2000;

    /// <summary>Bytes of all files together.</summary>
    public const long MaxBytes = 4L << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The files of <paramref name="folder"/>; <see cref="JobSpecException"/> naming <paramref name="field"/> when it cannot be packed.</summary>
    public static IReadOnlyList<WorkspaceFile> Pack(string folder, string field)
    {
        if (!Directory.Exists(folder)) throw new JobSpecException([$"{field}: the folder '{folder}' does not exist"]);
        var problems = new List<string>();
        var paths = Exists(Path.Combine(folder, ".git")) ? GitFiles(folder, field, problems) : WalkFiles(folder, "", problems);
        if (paths.Count > MaxFiles) throw new JobSpecException([$"{field}: '{folder}' has {paths.Count} files; the limit is {MaxFiles} (leave build outputs out, or use a git repository whose .gitignore does)"]);
        var files = new List<WorkspaceFile>();
        long bytes = 0;
        foreach (var relative in paths.Order(StringComparer.Ordinal))
        {
            if (WorkspacePaths.Problem(relative) is { } bad) { problems.Add($"{field}: {bad}"); continue; }
            string full = Path.Combine(folder, relative);
            switch (Posix.Kind(full))
            {
                case Posix.EntryKind.Link:
                    files.Add(new WorkspaceFile(relative, Link: new FileInfo(full).LinkTarget ?? ""));
                    break;
                case Posix.EntryKind.File:
                    byte[] content = File.ReadAllBytes(full);
                    bytes += content.Length;
                    bool executable = (Posix.LStat(full)?.Mode & 0x40) is > 0; // the owner's x bit (0100)
                    files.Add(Text(content) is { } text
                        ? new WorkspaceFile(relative, Content: text, Executable: executable)
                        : new WorkspaceFile(relative, Base64: Convert.ToBase64String(content), Executable: executable));
                    break;
                case null:
                    break; // tracked by git but deleted in the working tree: not part of the workspace
                default:
                    problems.Add($"{field}: '{relative}' is not a file, folder or link (a FIFO, socket or device)");
                    break;
            }
        }
        if (bytes > MaxBytes) problems.Add($"{field}: '{folder}' holds {bytes / 1024} KiB of files; the limit is {MaxBytes / 1024} KiB");
        if (problems.Count > 0) throw new JobSpecException(problems);
        return files;
    }

    /// <summary>The text of a file that is UTF-8 without NUL bytes; null for anything else (carried as base64).</summary>
    internal static string? Text(byte[] content)
    {
        if (Array.IndexOf(content, (byte)0) >= 0) return null;
        try { return StrictUtf8.GetString(content); }
        catch (DecoderFallbackException) { return null; }
    }

    private static bool Exists(string path) => Posix.Kind(path) is not null;

    private static List<string> WalkFiles(string root, string prefix, List<string> problems)
    {
        var found = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(root, prefix)).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(entry);
            string relative = prefix.Length == 0 ? name : prefix + "/" + name;
            if (name == ".git") continue;
            if (Posix.Kind(entry) == Posix.EntryKind.Directory) found.AddRange(WalkFiles(root, relative, problems));
            else found.Add(relative);
            if (found.Count > MaxFiles) break;
        }
        return found;
    }

    private static List<string> GitFiles(string folder, string field, List<string> problems)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-C", folder, "-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard" })
            psi.ArgumentList.Add(a);
        psi.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new JobSpecException([$"{field}: '{folder}' is a git repository, and reading one needs git, which is not installed (Debian: apt-get install git)"]);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new JobSpecException([$"{field}: git could not list the files of '{folder}': {stderr.Result.Trim()}"]);
            var paths = stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
            foreach (var p in paths.Where(p => Posix.Kind(Path.Combine(folder, p)) == Posix.EntryKind.Directory))
                problems.Add($"{field}: '{p}' is a git submodule or nested repository; workspaces carry one repository's files only");
            return paths.Where(p => Posix.Kind(Path.Combine(folder, p)) != Posix.EntryKind.Directory).ToList();
        }
    }
}
