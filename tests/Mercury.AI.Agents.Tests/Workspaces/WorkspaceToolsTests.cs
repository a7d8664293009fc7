using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>The file tools on a job's copy of a repository: confined to it, links refused, every edit recorded.</summary>
public sealed class WorkspaceToolsTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-tools");
    private readonly string _root, _outside;
    private readonly WorkspaceTools _tools;

    public WorkspaceToolsTests()
    {
        _root = _dir.Combine("workspace");
        _outside = _dir.Combine("outside");
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "TOP-SECRET\n");
        new WorkspaceSnapshot(
        [
            new WorkspaceFile("src/app.py", "def f():\n    return 1\n\n\ndef g():\n    return 1\n"),
            new WorkspaceFile("README.md", "hello\n"),
            new WorkspaceFile("logo.png", Base64: Convert.ToBase64String([0x89, 0x50, 0x4e, 0x47, 0, 1, 2])),
            // A repository may hold links out of itself; the tools must never follow them.
            new WorkspaceFile("escape", Link: _outside),
            new WorkspaceFile("docs/secret.txt", Link: Path.Combine(_outside, "secret.txt")),
        ]).Materialize(_root);
        _tools = new WorkspaceTools(_root, _ => throw new InvalidOperationException("these tests run no tests"));
    }

    public void Dispose() => _dir.Dispose();

    private Task<ToolOutcome> Call(string tool, object arguments) =>
        _tools.InvokeAsync(tool, JsonSerializer.SerializeToElement(arguments).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value), CancellationToken.None);

    public static TheoryData<string, object, string> Escapes => new()
    {
        { "read_file", new { path = "../outside/secret.txt" }, "leaves the workspace" },
        { "read_file", new { path = "src/../../outside/secret.txt" }, "leaves the workspace" },
        { "read_file", new { path = "/etc/passwd" }, "not inside the workspace" },
        { "read_file", new { path = "~/.ssh/id_rsa" }, "not inside the workspace" },
        { "read_file", new { path = "escape/secret.txt" }, "'escape' is a symbolic link" },
        { "read_file", new { path = "docs/secret.txt" }, "'docs/secret.txt' is a symbolic link" },
        { "list_files", new { path = "escape" }, "'escape' is a symbolic link" },
        { "search", new { query = "SECRET", path = "escape" }, "'escape' is a symbolic link" },
        { "write_file", new { path = "../outside/new.txt", content = "x" }, "leaves the workspace" },
        { "write_file", new { path = "escape/new.txt", content = "x" }, "'escape' is a symbolic link" },
        { "write_file", new { path = "docs/secret.txt", content = "x" }, "'docs/secret.txt' is a symbolic link" },
        { "write_file", new { path = ".git/hooks/pre-commit", content = "#!/bin/sh\n" }, "inside .git" },
        { "replace_in_file", new { path = "docs/secret.txt", oldText = "TOP", newText = "x" }, "is a symbolic link" },
        { "delete_file", new { path = "escape/secret.txt" }, "'escape' is a symbolic link" },
        { "delete_file", new { path = "docs/secret.txt" }, "is a symbolic link" },
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task Paths_out_of_the_workspace_and_through_links_are_refused_not_followed(string tool, object arguments, string expected)
    {
        var outcome = await Call(tool, arguments);
        Assert.StartsWith("error: ", outcome.Result);
        Assert.Contains(expected, outcome.Result);
        Assert.DoesNotContain("TOP-SECRET", outcome.Result);
        Assert.Empty(outcome.Changes);
        Assert.Equal(["secret.txt"], Directory.GetFiles(_outside).Select(Path.GetFileName));
        Assert.Equal("TOP-SECRET\n", File.ReadAllText(Path.Combine(_outside, "secret.txt")));
        Assert.False(Directory.Exists(Path.Combine(_root, ".git")));
    }

    [Fact]
    public async Task Listing_and_searching_show_links_without_entering_them()
    {
        string listing = (await Call("list_files", new { })).Result;
        Assert.Equal(["README.md", "docs/secret.txt -> " + Path.Combine(_outside, "secret.txt") + " (symbolic link; not followed)",
            "escape -> " + _outside + " (symbolic link; not followed)", "logo.png", "src/app.py"], listing.Split('\n'));
        Assert.StartsWith("no matches for 'SECRET'", (await Call("search", new { query = "SECRET" })).Result);
        Assert.Equal("src/app.py:2: return 1\nsrc/app.py:6: return 1", (await Call("search", new { query = @"return \d", regex = true })).Result);
    }

    [Fact]
    public async Task Edits_are_recorded_as_changes_that_rebuild_the_same_files()
    {
        var changes = new List<FileChange>();
        changes.AddRange((await Call("write_file", new { path = "src/util/new.py", content = "X = 1\n" })).Changes);
        var ambiguous = await Call("replace_in_file", new { path = "src/app.py", oldText = "    return 1\n", newText = "    return 2\n" });
        Assert.Contains("occurs 2 times", ambiguous.Result);
        var replaced = await Call("replace_in_file", new { path = "src/app.py", oldText = "def g():\n    return 1\n", newText = "def g():\n    return 2\n" });
        Assert.Equal("replaced 2 line(s) at line 5 of src/app.py with 2 line(s)", replaced.Result);
        changes.AddRange(replaced.Changes);
        changes.AddRange((await Call("delete_file", new { path = "README.md" })).Changes);
        Assert.Contains("not found", (await Call("replace_in_file", new { path = "src/app.py", oldText = "nothing like this", newText = "x" })).Result);
        Assert.Contains("not a text file", (await Call("read_file", new { path = "logo.png" })).Result);
        Assert.Contains("not a text file", (await Call("write_file", new { path = "logo.png", content = "x" })).Result);

        Assert.Equal(["src/util/new.py", "src/app.py", "README.md"], changes.Select(c => c.Path));
        Assert.Null(changes[2].Content);
        // The original files plus the recorded changes are exactly the edited folder (what a resumed job rebuilds).
        var rebuilt = new WorkspaceSnapshot(
        [
            new WorkspaceFile("src/app.py", "def f():\n    return 1\n\n\ndef g():\n    return 1\n"), new WorkspaceFile("README.md", "hello\n"),
        ]);
        rebuilt.Apply(changes);
        Assert.Equal(rebuilt.Files.ToDictionary(f => f.Path, f => f.Content ?? ""), WorkspaceJobs.Files(_root).Where(f => f.Key.EndsWith(".py")).ToDictionary());
        Assert.Equal("src/app.py (lines 5-6 of 6)\n    5| def g():\n    6|     return 2\n", (await Call("read_file", new { path = "src/app.py", startLine = 5 })).Result);
    }

    [Fact]
    public async Task Mistakes_in_a_call_are_answers_the_model_can_act_on()
    {
        Assert.Contains("no tool named 'rm_rf'", (await _tools.InvokeAsync("rm_rf", null, CancellationToken.None)).Result);
        Assert.StartsWith("error: ", (await Call("read_file", new { })).Result); // path missing
        Assert.Contains("does not exist", (await Call("read_file", new { path = "nope.py" })).Result);
        Assert.Contains("not valid JSON", (await _tools.InvokeAsync("read_file",
            new Dictionary<string, object?> { [WorkspaceTools.InvalidArguments] = "unexpected end" }, CancellationToken.None)).Result);
        Assert.Contains("at most", (await Call("write_file", new { path = "big.txt", content = new string('x', WorkspaceTools.MaxWriteChars + 1) })).Result);
        Assert.False(File.Exists(Path.Combine(_root, "big.txt")));
        Assert.True((await Call("finish", new { summary = "done" })).Finished);
    }
}
