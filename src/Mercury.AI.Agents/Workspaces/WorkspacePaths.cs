using System.Text;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>
/// The one spelling of a path inside a workspace: relative, '/'-separated, no empty, '.' or '..' segments, no
/// control characters, no <c>.git</c> segment (a patch that wrote <c>.git/hooks/…</c> would run code when the user
/// next used git), segments of at most 255 UTF-8 bytes. Job files, the file tools, diffs and <c>apply</c> all use it.
/// </summary>
public static class WorkspacePaths
{
    public const int MaxPathBytes = 1024;
    public const int MaxSegmentBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why <paramref name="path"/> is not a canonical workspace path, or null.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "is empty";
        if (path.Any(char.IsControl)) return "contains control characters";
        if (path.StartsWith('/')) return $"'{path}' is absolute; give a path relative to the workspace root";
        int bytes;
        try { bytes = StrictUtf8.GetByteCount(path); }
        catch (EncoderFallbackException) { return "is not valid Unicode (a lone surrogate)"; }
        if (bytes > MaxPathBytes) return $"is {bytes} bytes long; the limit is {MaxPathBytes}";
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..") return $"'{path}' must not contain empty, '.' or '..' segments";
            if (segment.Equals(".git", StringComparison.OrdinalIgnoreCase)) return $"'{path}' is inside .git, which workspaces never carry";
            if (StrictUtf8.GetByteCount(segment) > MaxSegmentBytes) return $"has a segment longer than {MaxSegmentBytes} bytes";
        }
        return null;
    }

    /// <summary>
    /// A path as a model or a user writes it ("./src/a.py", "src//a.py", "src/../src/a.py") in canonical form; "" is
    /// the root. Throws <see cref="WorkspacePathException"/> for a path that leaves the workspace or is absolute.
    /// </summary>
    public static string Normalize(string? path)
    {
        path = (path ?? "").Trim();
        if (path.Any(char.IsControl)) throw new WorkspacePathException($"the path '{Printable(path)}' contains control characters");
        if (path.StartsWith('/') || path.StartsWith('~'))
            throw new WorkspacePathException($"'{path}' is not inside the workspace: paths are relative to the workspace root (for example src/app.py)");
        var kept = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (kept.Count == 0) throw new WorkspacePathException($"'{path}' leaves the workspace; paths must stay inside it");
                kept.RemoveAt(kept.Count - 1);
            }
            else kept.Add(segment);
        }
        string normal = string.Join('/', kept);
        if (normal.Length > 0 && Problem(normal) is { } problem) throw new WorkspacePathException($"the path {problem}");
        return normal;
    }

    private static string Printable(string s) => string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}

/// <summary>A path the file tools or <c>apply</c> refuse; the message says why and goes back to the model or the user.</summary>
public sealed class WorkspacePathException(string message) : Exception(message);
