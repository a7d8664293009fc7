using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>A patch that cannot be applied; <see cref="Exception.Message"/> lists every problem, and nothing was written.</summary>
public sealed class PatchException(IReadOnlyList<string> problems)
    : Exception("The patch does not apply; nothing was changed:\n  - " + string.Join("\n  - ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Applies a unified diff (as <see cref="UnifiedDiff"/> writes it, or as <c>git diff</c> does for text files) to a
/// folder, all or nothing: every hunk of every file is checked against the folder first, and only when all fit is
/// anything written. Paths go through <see cref="WorkspaceFolder"/>: one that leaves the folder, passes through a
/// symbolic link or names <c>.git</c> is refused. A hunk is looked for at its line, then at the nearest place where
/// its context matches exactly (no fuzz).
/// </summary>
public static partial class PatchApplier
{
    private sealed record Hunk(int OldStart, List<string> Old, List<string> New);

    private sealed record FilePatch(string? OldPath, string? NewPath, List<Hunk> Hunks);

    /// <summary>Applies <paramref name="patch"/> to <paramref name="folder"/>; returns the paths it changed.</summary>
    public static IReadOnlyList<string> Apply(string patch, string folder)
    {
        var problems = new List<string>();
        var files = Parse(patch, problems);
        var workspace = new WorkspaceFolder(folder);
        var plan = new List<(string FullPath, string? Content)>();
        foreach (var f in files)
        {
            string? path = f.NewPath ?? f.OldPath;
            if (f.OldPath is not null && f.NewPath is not null && f.OldPath != f.NewPath) { problems.Add($"'{f.OldPath}' → '{f.NewPath}': renames are not supported"); continue; }
            try
            {
                string? old = null;
                if (f.OldPath is not null)
                {
                    var (_, full) = workspace.ExistingFile(f.OldPath);
                    old = WorkspacePacker.Text(File.ReadAllBytes(full)) ?? throw new WorkspacePathException($"'{f.OldPath}' is not a UTF-8 text file");
                }
                var (_, target) = workspace.ForWrite(path);
                if (f.OldPath is null && File.Exists(target)) throw new WorkspacePathException($"'{path}' is new in the patch but already exists");
                string result = ApplyHunks(path!, old ?? "", f.Hunks, problems);
                if (f.NewPath is null && result.Length > 0) problems.Add($"'{path}' is deleted by the patch but would not be empty");
                plan.Add((target, f.NewPath is null ? null : result));
            }
            catch (WorkspacePathException e) { problems.Add(e.Message); }
        }
        if (files.Count == 0 && problems.Count == 0) problems.Add("the patch changes no file");
        if (problems.Count > 0) throw new PatchException(problems);
        foreach (var (full, content) in plan)
        {
            if (content is null) workspace.Delete(full);
            else workspace.Write(full, new UTF8Encoding(false).GetBytes(content));
        }
        return files.Select(f => (f.NewPath ?? f.OldPath)!).ToList();
    }

    private static string ApplyHunks(string path, string text, List<Hunk> hunks, List<string> problems)
    {
        var lines = UnifiedDiff.Lines(text);
        int shift = 0, searchFrom = 0;
        for (int h = 0; h < hunks.Count; h++)
        {
            var hunk = hunks[h];
            int expected = Math.Max(0, (hunk.Old.Count == 0 ? hunk.OldStart : hunk.OldStart - 1) + shift);
            int at = Find(lines, hunk.Old, expected, searchFrom);
            if (at < 0)
            {
                // Name the first line of the hunk that differs where the hunk was expected.
                int k = 0;
                while (k < hunk.Old.Count && expected + k < lines.Count && lines[expected + k] == hunk.Old[k]) k++;
                string seen = expected + k < lines.Count ? lines[expected + k].TrimEnd('\n') : "(end of file)";
                string wanted = k < hunk.Old.Count ? hunk.Old[k].TrimEnd('\n') : "";
                problems.Add($"{path}: hunk {h + 1} (@@ -{hunk.OldStart}) does not match the file: line {expected + k + 1} is \"{seen}\", the patch expects \"{wanted}\"");
                return text;
            }
            lines.RemoveRange(at, hunk.Old.Count);
            lines.InsertRange(at, hunk.New);
            shift += hunk.New.Count - hunk.Old.Count;
            searchFrom = at + hunk.New.Count;
        }
        return string.Concat(lines);
    }

    /// <summary>Where <paramref name="old"/> occurs: at <paramref name="expected"/>, else the nearest exact match at or after <paramref name="from"/>.</summary>
    private static int Find(List<string> lines, List<string> old, int expected, int from)
    {
        bool At(int i) => i >= from && i + old.Count <= lines.Count && old.Select((l, k) => lines[i + k] == l).All(x => x);
        for (int distance = 0; distance <= lines.Count; distance++)
        {
            if (At(expected + distance)) return expected + distance;
            if (distance > 0 && At(expected - distance)) return expected - distance;
        }
        return -1;
    }

    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")]
    private static partial Regex HunkHeader();

    private static List<FilePatch> Parse(string patch, List<string> problems)
    {
        var files = new List<FilePatch>();
        var lines = patch.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        FilePatch? current = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                var parts = line["diff --git ".Length..].Split(' ');
                string? a = parts.Length == 2 ? Strip(parts[0], "a/") : null, b = parts.Length == 2 ? Strip(parts[1], "b/") : null;
                current = new FilePatch(a, b, []);
                files.Add(current);
            }
            else if (line.StartsWith("new file mode", StringComparison.Ordinal) && current is not null) files[^1] = current = current with { OldPath = null };
            else if (line.StartsWith("deleted file mode", StringComparison.Ordinal) && current is not null) files[^1] = current = current with { NewPath = null };
            else if (line.StartsWith("rename ", StringComparison.Ordinal) || line.StartsWith("copy ", StringComparison.Ordinal)) problems.Add($"line {i + 1}: renames and copies are not supported");
            else if (line.StartsWith("GIT binary patch", StringComparison.Ordinal) || line.StartsWith("Binary files ", StringComparison.Ordinal)) problems.Add($"line {i + 1}: binary patches are not supported");
            else if (line.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
            {
                string? a = FileName(line[4..], "a/"), b = FileName(lines[++i][4..], "b/");
                if (current is null || current.Hunks.Count > 0) { current = new FilePatch(a, b, []); files.Add(current); }
                else files[^1] = current = current with { OldPath = a, NewPath = b };
            }
            else if (HunkHeader().Match(line) is { Success: true } m && current is not null)
                current.Hunks.Add(ReadHunk(m, lines, ref i, problems));
        }
        foreach (var f in files)
            foreach (var p in new[] { f.OldPath, f.NewPath }.OfType<string>())
                if (WorkspacePaths.Problem(p) is { } bad) problems.Add($"path {bad}");
        return files;
    }

    private static Hunk ReadHunk(Match m, string[] lines, ref int i, List<string> problems)
    {
        int Number(Group g, int fallback) => g.Success ? int.Parse(g.Value, CultureInfo.InvariantCulture) : fallback;
        int oldStart = Number(m.Groups[1], 0), oldCount = Number(m.Groups[2], 1), newCount = Number(m.Groups[4], 1);
        var old = new List<string>();
        var @new = new List<string>();
        int headerLine = i + 1;
        while ((old.Count < oldCount || @new.Count < newCount) && i + 1 < lines.Length)
        {
            string line = lines[++i];
            if (line.Length == 0) line = " "; // an empty context line whose space was stripped by an editor
            string text = line[1..] + "\n";
            if (line[0] is ' ' or '-') old.Add(text);
            if (line[0] is ' ' or '+') @new.Add(text);
            if (line[0] is not (' ' or '-' or '+')) { problems.Add($"line {i + 1}: not a line of the hunk that starts at line {headerLine}"); break; }
            // "\ No newline at end of file" belongs to the line just read.
            if (i + 1 < lines.Length && lines[i + 1].StartsWith('\\'))
            {
                i++;
                if (line[0] is ' ' or '-') old[^1] = old[^1][..^1];
                if (line[0] is ' ' or '+') @new[^1] = @new[^1][..^1];
            }
        }
        if (old.Count != oldCount || @new.Count != newCount) problems.Add($"line {headerLine}: the hunk is cut short (expected {oldCount} old and {newCount} new lines)");
        return new Hunk(oldStart, old, @new);
    }

    private static string? FileName(string field, string prefix)
    {
        string name = field.Split('\t')[0].Trim();
        return name == "/dev/null" ? null : Strip(name, prefix);
    }

    private static string Strip(string name, string prefix) => name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
}
