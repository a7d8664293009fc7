using System.Text;
using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>
/// The change between two workspaces as a git-style unified diff (<c>diff --git a/p b/p</c>, 3 lines of context), so
/// that <c>git apply</c>, <c>patch -p1</c> and <see cref="PatchApplier"/> all take it. Only text files can change (the
/// file tools refuse to edit binary files and links), so the diff is text only. Lines are compared with Myers'
/// algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986).
/// </summary>
public static class UnifiedDiff
{
    private const int Context = 3;

    /// <summary>Past this many differing lines in one file the diff replaces the changed middle whole instead of
    /// searching for the shortest edit (bounds time and memory at O(MaxEdits²)).</summary>
    private const int MaxEdits = 2000;

    /// <summary>A workspace job's patch: its original files against its files after <paramref name="steps"/>.</summary>
    public static string ForJob(JobSpec spec, IEnumerable<StepRecord> steps) =>
        Create(spec.Workspace?.Files ?? [], WorkspaceSnapshot.From(spec, steps).Files);

    /// <summary>The files a patch touches, with the lines it adds and removes in each (as <c>git diff --stat</c> counts).</summary>
    public static IReadOnlyList<(string Path, int Added, int Removed)> Stat(string patch)
    {
        var files = new List<(string Path, int Added, int Removed)>();
        foreach (var line in patch.Split('\n'))
        {
            if (line.StartsWith("diff --git a/", StringComparison.Ordinal)) files.Add((line["diff --git a/".Length..].Split(" b/")[0], 0, 0));
            else if (files.Count > 0 && line.StartsWith('+') && !line.StartsWith("+++ ", StringComparison.Ordinal)) files[^1] = files[^1] with { Added = files[^1].Added + 1 };
            else if (files.Count > 0 && line.StartsWith('-') && !line.StartsWith("--- ", StringComparison.Ordinal)) files[^1] = files[^1] with { Removed = files[^1].Removed + 1 };
        }
        return files;
    }

    public static string Create(IEnumerable<WorkspaceFile> before, IEnumerable<WorkspaceFile> after)
    {
        var old = before.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var @new = after.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var path in old.Keys.Union(@new.Keys).Order(StringComparer.Ordinal))
        {
            var a = old.GetValueOrDefault(path);
            var b = @new.GetValueOrDefault(path);
            if (a is not null && b is not null && a.Content == b.Content && a.Base64 == b.Base64 && a.Link == b.Link) continue;
            if ((a is not null && !a.IsText) || (b is not null && !b.IsText))
                throw new InvalidOperationException($"'{path}' changed but is not a text file; the workspace tools change text files only.");
            sb.Append($"diff --git a/{path} b/{path}\n");
            if (a is null) sb.Append($"new file mode {Mode(b!)}\n");
            if (b is null) sb.Append($"deleted file mode {Mode(a!)}\n");
            var hunks = Hunks(Lines(a?.Content), Lines(b?.Content));
            if (hunks.Length == 0) continue; // an empty file created or deleted: git writes the header lines alone
            sb.Append(a is null ? "--- /dev/null\n" : $"--- a/{path}\n");
            sb.Append(b is null ? "+++ /dev/null\n" : $"+++ b/{path}\n");
            sb.Append(hunks);
        }
        return sb.ToString();
    }

    private static string Mode(WorkspaceFile f) => f.Executable ? "100755" : "100644";

    /// <summary>Lines with their terminator kept, so a missing final newline is visible.</summary>
    internal static List<string> Lines(string? text)
    {
        var lines = new List<string>();
        if (string.IsNullOrEmpty(text)) return lines;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
            if (text[i] == '\n') { lines.Add(text[start..(i + 1)]); start = i + 1; }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    private enum Op { Equal, Delete, Insert }

    private static string Hunks(List<string> a, List<string> b)
    {
        var script = Script(a, b);
        var sb = new StringBuilder();
        int i = 0;
        while (i < script.Count)
        {
            if (script[i].Op == Op.Equal) { i++; continue; }
            // A hunk: from Context equal lines before the first change to Context after the last change, merging changes
            // whose gap of equal lines is at most 2 * Context.
            int start = Math.Max(0, i - Context), end = i;
            while (true)
            {
                while (end < script.Count && script[end].Op != Op.Equal) end++;
                int gap = end;
                while (gap < script.Count && script[gap].Op == Op.Equal) gap++;
                if (gap < script.Count && gap - end <= 2 * Context) { end = gap; continue; }
                end = Math.Min(script.Count, end + Context);
                break;
            }
            var part = script.GetRange(start, end - start);
            int oldStart = part[0].A, newStart = part[0].B;
            int oldCount = part.Count(e => e.Op != Op.Insert), newCount = part.Count(e => e.Op != Op.Delete);
            sb.Append($"@@ -{Range(oldStart, oldCount)} +{Range(newStart, newCount)} @@\n");
            foreach (var e in part)
            {
                string line = e.Op == Op.Insert ? b[e.B] : a[e.A];
                sb.Append(e.Op switch { Op.Equal => ' ', Op.Delete => '-', _ => '+' }).Append(line);
                if (!line.EndsWith('\n')) sb.Append("\n\\ No newline at end of file\n");
            }
            i = end;
        }
        return sb.ToString();
    }

    // "start,count" with 1-based start; an empty range names the line before it (0 for the start of the file).
    private static string Range(int start, int count) => count == 0 ? $"{start},0" : count == 1 ? $"{start + 1}" : $"{start + 1},{count}";

    private readonly record struct Edit(Op Op, int A, int B);

    /// <summary>The edit script: every line of a and b once, as Equal, Delete or Insert, in order. A and B are the
    /// positions in a and b at that point (for an Insert, A is where in a it goes).</summary>
    private static List<Edit> Script(List<string> a, List<string> b)
    {
        int prefix = 0;
        while (prefix < a.Count && prefix < b.Count && a[prefix] == b[prefix]) prefix++;
        int suffix = 0;
        while (suffix < a.Count - prefix && suffix < b.Count - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;
        var script = new List<Edit>();
        for (int k = 0; k < prefix; k++) script.Add(new Edit(Op.Equal, k, k));
        Middle(a, b, prefix, a.Count - suffix, prefix, b.Count - suffix, script);
        for (int k = 0; k < suffix; k++) script.Add(new Edit(Op.Equal, a.Count - suffix + k, b.Count - suffix + k));
        return script;
    }

    /// <summary>Myers' greedy forward search over a[a0..a1) and b[b0..b1), keeping each round's frontier to trace back.</summary>
    private static void Middle(List<string> a, List<string> b, int a0, int a1, int b0, int b1, List<Edit> script)
    {
        int n = a1 - a0, m = b1 - b0, max = Math.Min(n + m, MaxEdits);
        var trace = new List<int[]>();
        var v = new int[2 * max + 3];
        int offset = max + 1, found = -1;
        for (int d = 0; d <= max && found < 0; d++)
        {
            for (int k = -d; k <= d; k += 2)
            {
                int x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && a[a0 + x] == b[b0 + y]) { x++; y++; }
                v[offset + k] = x;
                if (x >= n && y >= m) { found = d; break; }
            }
            trace.Add(v[(offset - d)..(offset + d + 1)]); // the frontier of round d: diagonals -d..d
        }
        if (found < 0)
        {
            // Too different: the whole middle is deleted, then inserted.
            for (int x = 0; x < n; x++) script.Add(new Edit(Op.Delete, a0 + x, b0));
            for (int y = 0; y < m; y++) script.Add(new Edit(Op.Insert, a1, b0 + y));
            return;
        }
        var reversed = new List<Edit>();
        int cx = n, cy = m;
        for (int d = found; d > 0; d--)
        {
            var prev = trace[d - 1]; // diagonal j of round d-1 is at prev[j + d - 1]
            int k = cx - cy;
            int prevK = k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]) ? k + 1 : k - 1;
            int px = prev[prevK + d - 1], py = px - prevK;
            while (cx > px && cy > py) { cx--; cy--; reversed.Add(new Edit(Op.Equal, a0 + cx, b0 + cy)); }
            if (prevK == k + 1) { cy--; reversed.Add(new Edit(Op.Insert, a0 + cx, b0 + cy)); }
            else { cx--; reversed.Add(new Edit(Op.Delete, a0 + cx, b0 + cy)); }
        }
        while (cx > 0 && cy > 0) { cx--; cy--; reversed.Add(new Edit(Op.Equal, a0 + cx, b0 + cy)); }
        reversed.Reverse();
        script.AddRange(reversed);
    }
}
