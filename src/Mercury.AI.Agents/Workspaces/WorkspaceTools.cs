using System.ComponentModel;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mercury.AI.Agents.Sandbox;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>What one tool call did: the text the model gets, the files it changed, its test verdict, whether it ended the job.</summary>
public sealed record ToolOutcome(string Result, IReadOnlyList<FileChange> Changes, WorkspaceTestRun? Tests = null, bool Finished = false);

/// <summary>
/// The tools of a workspace job, as <see cref="AIFunction"/>s for any <see cref="IChatClient"/>'s tool loop: list,
/// read, search, write, replace and delete files in the job's copy of the repository (through
/// <see cref="WorkspaceFolder"/>, so paths stay inside it and links are never followed), run the tests in the
/// sandbox, finish. A path or argument the model gets wrong is an "error: …" result it can act on, not an exception.
/// Calls are made one at a time (the tool loop runs them in order).
/// </summary>
public sealed class WorkspaceTools
{
    public const int MaxWriteChars = 256 * 1024;
    public const int MaxReadLines = 400;
    public const int MaxReadChars = 24_000;
    public const int MaxListEntries = 500;
    public const int MaxSearchMatches = 100;

    /// <summary>Characters of file content a job may write in total (the checkpoint it keeps in the store).</summary>
    public const long MaxWrittenChars = 16L << 20;

    private const long MaxSearchFileBytes = 1 << 20;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly WorkspaceFolder _folder;
    private readonly Func<CancellationToken, Task<WorkspaceTestRun>> _runTests;
    private readonly List<FileChange> _changes = [];
    private WorkspaceTestRun? _tests;
    private bool _finished;
    private long _written;

    /// <param name="root">the job's copy of the repository</param>
    /// <param name="runTests">runs the job's test commands on that copy</param>
    /// <param name="writtenBefore">characters the job's earlier steps wrote (a resumed job keeps counting)</param>
    public WorkspaceTools(string root, Func<CancellationToken, Task<WorkspaceTestRun>> runTests, long writtenBefore = 0)
    {
        _folder = new WorkspaceFolder(root);
        _runTests = runTests;
        _written = writtenBefore;
        Functions =
        [
            Create((Func<string, string>)ListFiles, "list_files",
                "Lists the files under a folder of the repository, recursively, one path per line (paths relative to the repository root)."),
            Create((Func<string, int, int?, string>)ReadFile, "read_file",
                $"Reads a text file with line numbers, at most {MaxReadLines} lines at a time; give startLine and endLine for part of a long file."),
            Create((Func<string, string, bool, string>)Search, "search",
                "Searches the repository's text files for a string (or a .NET regular expression with regex=true) and prints path:line: text for each match."),
            Create((Func<string, string, string>)WriteFile, "write_file", "Creates a text file, or replaces its whole content."),
            Create((Func<string, string, string, string>)ReplaceInFile, "replace_in_file",
                "Replaces text in a file: oldText must occur exactly once (include neighbouring lines to make it unique) and is replaced by newText."),
            Create((Func<string, string>)DeleteFile, "delete_file", "Deletes a file."),
            Create((Func<CancellationToken, Task<string>>)RunTestsAsync, "run_tests",
                "Runs the repository's test commands in a sandbox and reports whether they pass, with the end of their output."),
            Create((Func<string, string>)Finish, "finish",
                "Ends the job when the tests pass (or you cannot get further), with a short summary of the change. Hidden tests run after it."),
        ];
    }

    public IReadOnlyList<AIFunction> Functions { get; }

    /// <summary>Characters of file content written so far, including the earlier steps'.</summary>
    public long WrittenChars => _written;

    /// <summary>Runs the tool <paramref name="name"/>; its result, and what it did.</summary>
    public async Task<ToolOutcome> InvokeAsync(string name, IDictionary<string, object?>? arguments, CancellationToken cancellationToken)
    {
        _changes.Clear();
        _tests = null;
        _finished = false;
        var function = Functions.FirstOrDefault(f => f.Name == name);
        if (function is null)
            return new ToolOutcome($"error: there is no tool named '{name}'; the tools are {string.Join(", ", Functions.Select(f => f.Name))}", []);
        if (arguments is not null && arguments.TryGetValue(InvalidArguments, out var why))
            return new ToolOutcome($"error: the arguments of this call were not valid JSON ({why}); call {name} again with a JSON object", []);
        string result;
        try { result = await function.InvokeAsync(new AIFunctionArguments(arguments), cancellationToken).ConfigureAwait(false) as string ?? ""; }
        catch (Exception e) when (e is WorkspacePathException or ArgumentException or JsonException or FormatException or InvalidCastException
                                      or RegexMatchTimeoutException or IOException or UnauthorizedAccessException)
        {
            result = "error: " + e.Message;
        }
        return new ToolOutcome(result, [.. _changes], _tests, _finished);
    }

    /// <summary>The argument name under which a call whose JSON could not be parsed carries the parser's message.</summary>
    public const string InvalidArguments = "__invalid_arguments";

    private static AIFunction Create(Delegate method, string name, string description) =>
        AIFunctionFactory.Create(method, new AIFunctionFactoryOptions
        {
            Name = name,
            Description = description,
            MarshalResult = (result, _, _) => new ValueTask<object?>(result), // the text itself, not a JSON string of it
        });

    private string ListFiles([Description("Folder relative to the repository root; '.' is the root")] string path = ".")
    {
        var (relative, full, kind) = _folder.Existing(path);
        if (kind == Posix.EntryKind.File) return relative;
        var entries = new List<string>();
        Walk(full, relative, entries, MaxListEntries + 1, (file, rel) => entries.Add(rel), link => entries.Add(link));
        if (entries.Count == 0) return $"'{(relative.Length == 0 ? "." : relative)}' is empty";
        return entries.Count <= MaxListEntries ? string.Join('\n', entries)
            : string.Join('\n', entries.Take(MaxListEntries)) + $"\n… more files; list a subfolder";
    }

    private string ReadFile(
        [Description("File path relative to the repository root")] string path,
        [Description("First line to show (1-based)")] int startLine = 1,
        [Description("Last line to show; omit to read up to 400 lines")] int? endLine = null)
    {
        var (relative, full) = _folder.ExistingFile(path);
        string text = TextOf(relative, full);
        var lines = text.Split('\n');
        int total = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        if (total == 0) return $"{relative} is empty";
        int start = Math.Max(1, startLine);
        if (start > total) return $"error: {relative} has {total} lines; startLine {startLine} is past its end";
        int end = Math.Min(total, Math.Min(endLine ?? int.MaxValue, start + MaxReadLines - 1));
        var sb = new StringBuilder();
        int shown = start - 1;
        for (int n = start; n <= end && sb.Length < MaxReadChars; n++, shown++) sb.Append($"{n,5}| {lines[n - 1].TrimEnd('\r')}\n");
        string header = $"{relative} (lines {start}-{shown} of {total})\n";
        string more = shown < total ? $"… read on with startLine={shown + 1}\n" : "";
        return header + sb + more;
    }

    private string Search(
        [Description("Text to find (case-sensitive), or a regular expression when regex is true")] string query,
        [Description("Folder (or file) to search, relative to the repository root")] string path = ".",
        [Description("Treat query as a .NET regular expression")] bool regex = false)
    {
        if (string.IsNullOrEmpty(query)) return "error: query is empty";
        var pattern = regex ? new Regex(query, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;
        var (relative, full, kind) = _folder.Existing(path);
        var matches = new List<string>();
        void SearchFile(string file, string rel)
        {
            if (matches.Count > MaxSearchMatches || new FileInfo(file).Length > MaxSearchFileBytes) return;
            if (WorkspacePacker.Text(File.ReadAllBytes(file)) is not { } text) return;
            var lines = text.Split('\n');
            for (int i = 0; i < lines.Length && matches.Count <= MaxSearchMatches; i++)
                if (pattern?.IsMatch(lines[i]) ?? lines[i].Contains(query, StringComparison.Ordinal))
                    matches.Add($"{rel}:{i + 1}: {Clip(lines[i].TrimEnd('\r').Trim(), 200)}");
        }
        if (kind == Posix.EntryKind.File) SearchFile(full, relative);
        else Walk(full, relative, matches, int.MaxValue, SearchFile, _ => { });
        if (matches.Count == 0) return $"no matches for '{query}' in {(relative.Length == 0 ? "the repository" : relative)}";
        return string.Join('\n', matches.Take(MaxSearchMatches)) + (matches.Count > MaxSearchMatches ? "\n… more matches; narrow the search" : "");
    }

    private string WriteFile(
        [Description("File path relative to the repository root; missing folders are created")] string path,
        [Description("The whole new content of the file")] string content)
    {
        var (relative, full) = _folder.ForWrite(path);
        if (File.Exists(full)) TextOf(relative, full); // refuses to overwrite a binary file
        Save(relative, full, content);
        return $"wrote {relative} ({LineCount(content)} lines)";
    }

    private string ReplaceInFile(
        [Description("File path relative to the repository root")] string path,
        [Description("The exact text to replace, whitespace included; it must occur once in the file")] string oldText,
        [Description("The text to put in its place")] string newText)
    {
        if (string.IsNullOrEmpty(oldText)) return "error: oldText is empty; to create or replace a whole file use write_file";
        var (relative, full) = _folder.ExistingFile(path);
        string text = TextOf(relative, full);
        int at = text.IndexOf(oldText, StringComparison.Ordinal);
        if (at < 0) return $"error: oldText was not found in {relative}; read the file and copy the lines exactly, indentation included";
        int count = 0;
        for (int i = at; i >= 0; i = text.IndexOf(oldText, i + oldText.Length, StringComparison.Ordinal)) count++;
        if (count > 1) return $"error: oldText occurs {count} times in {relative}; include neighbouring lines so that it occurs once";
        string updated = string.Concat(text.AsSpan(0, at), newText, text.AsSpan(at + oldText.Length));
        Save(relative, full, updated);
        int line = LineCount(text[..at]) + (at == 0 || text[at - 1] == '\n' ? 1 : 0);
        return $"replaced {LineCount(oldText)} line(s) at line {Math.Max(1, line)} of {relative} with {LineCount(newText)} line(s)";
    }

    private string DeleteFile([Description("File path relative to the repository root")] string path)
    {
        var (relative, full) = _folder.ExistingFile(path);
        TextOf(relative, full); // a binary file's deletion could not be written as a text patch
        _folder.Delete(full);
        _changes.Add(new FileChange(relative, null));
        return $"deleted {relative}";
    }

    private async Task<string> RunTestsAsync(CancellationToken cancellationToken)
    {
        _tests = await _runTests(cancellationToken).ConfigureAwait(false);
        return _tests.Describe();
    }

    private string Finish([Description("What was changed and why, in a few sentences")] string summary)
    {
        _finished = true;
        return "Finished. The final check (the test commands, then the hidden tests) runs now.";
    }

    private void Save(string relative, string full, string content)
    {
        if (content.Length > MaxWriteChars) throw new ArgumentException($"the content is {content.Length} characters; a file the tools write may have at most {MaxWriteChars}");
        if (content.Contains('\0')) throw new ArgumentException("the content contains a NUL character; the tools write text files only");
        if (_written + content.Length > MaxWrittenChars)
            throw new ArgumentException($"this job has already written {_written} characters of files, near its limit of {MaxWrittenChars}; finish now");
        _folder.Write(full, Utf8.GetBytes(content));
        _written += content.Length;
        _changes.Add(new FileChange(relative, content));
    }

    private static string TextOf(string relative, string full)
    {
        byte[] bytes = File.ReadAllBytes(full);
        return WorkspacePacker.Text(bytes) ?? throw new ArgumentException($"'{relative}' is not a text file ({bytes.Length} bytes); the tools read and change text files only");
    }

    /// <summary>Files under a folder in path order, without following links (they are reported, not entered).</summary>
    private static void Walk(string full, string relative, List<string> sink, int limit, Action<string, string> onFile, Action<string> onLink)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal))
        {
            if (sink.Count >= limit) return;
            string rel = relative.Length == 0 ? Path.GetFileName(entry) : relative + "/" + Path.GetFileName(entry);
            switch (Posix.Kind(entry))
            {
                case Posix.EntryKind.Directory: Walk(entry, rel, sink, limit, onFile, onLink); break;
                case Posix.EntryKind.File: onFile(entry, rel); break;
                case Posix.EntryKind.Link: onLink($"{rel} -> {new FileInfo(entry).LinkTarget} (symbolic link; not followed)"); break;
            }
        }
    }

    private static int LineCount(string text) => text.Length == 0 ? 0 : text.Count(c => c == '\n') + (text.EndsWith('\n') ? 0 : 1);

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
