using System.Diagnostics;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>The patch of a workspace job: a unified diff that git, patch and <see cref="PatchApplier"/> all apply.</summary>
public sealed class PatchTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-patch");

    public void Dispose() => _dir.Dispose();

    private static readonly WorkspaceFile[] Before =
    [
        new("keep.txt", "same\n"),
        new("src/long.py", string.Concat(Enumerable.Range(1, 60).Select(i => $"line {i}\n"))),
        new("gone.txt", "old\nlines\n"),
        new("tail.txt", "no newline at the end"),
        new("empty-soon.txt", "x\n"),
    ];

    private static readonly WorkspaceFile[] After =
    [
        new("keep.txt", "same\n"),
        // Two changes far apart (two hunks), one near the start (context cut at the file's start).
        new("src/long.py", string.Concat(Enumerable.Range(1, 60).Select(i => i switch { 2 => "line two\n", 40 => "line 40\nadded\n", _ => $"line {i}\n" }))),
        new("tail.txt", "no newline at the end, still\nbut more lines"),
        new("new/file.md", "# new\n"),
        new("empty.txt", ""),
        new("empty-soon.txt", ""),
    ];

    private string Materialize(string name, IEnumerable<WorkspaceFile> files)
    {
        string folder = _dir.Combine(name);
        new WorkspaceSnapshot(files).Materialize(folder);
        return folder;
    }

    [Fact]
    public void A_diff_applied_to_the_original_gives_the_new_files_and_git_and_patch_agree()
    {
        string patch = UnifiedDiff.Create(Before, After);
        Assert.Contains("@@ -1,5 +1,5 @@", patch);
        Assert.Contains("\\ No newline at end of file", patch);
        Assert.Contains("deleted file mode 100644", patch);
        Assert.Contains("new file mode 100644", patch);
        Assert.Equal(["empty-soon.txt", "empty.txt", "gone.txt", "new/file.md", "src/long.py", "tail.txt"], UnifiedDiff.Stat(patch).Select(f => f.Path));

        string ours = Materialize("ours", Before);
        Assert.Equal(6, PatchApplier.Apply(patch, ours).Count);
        Assert.Equal(WorkspaceJobs.Files(Materialize("expected", After)), WorkspaceJobs.Files(ours));

        // The same text is a patch for git apply and for patch -p1 (Debian's git and patch; .ci/run installs them).
        string patchFile = _dir.Combine("change.patch");
        File.WriteAllText(patchFile, patch);
        foreach (var (tool, args) in new[] { ("git", new[] { "apply", patchFile }), ("patch", new[] { "-p1", "-s", "-i", patchFile }) })
        {
            string folder = Materialize(tool, Before);
            var (code, output) = Run(tool, folder, args);
            Assert.True(code == 0, $"{tool}: {output}");
            Assert.Equal(WorkspaceJobs.Files(Materialize(tool + "-expected", After)), WorkspaceJobs.Files(folder));
        }
    }

    [Fact]
    public void A_patch_that_does_not_fit_changes_nothing_and_says_where()
    {
        string patch = UnifiedDiff.Create(Before, After);
        var edited = Before.Select(f => f.Path == "src/long.py" ? f with { Content = f.Content!.Replace("line 39\n", "line thirty-nine\n") } : f);
        string folder = Materialize("edited", edited);
        var before = WorkspaceJobs.Files(folder);
        var e = Assert.Throws<PatchException>(() => PatchApplier.Apply(patch, folder));
        Assert.Contains("src/long.py: hunk 2", e.Message);
        Assert.Contains("line thirty-nine", e.Message);
        Assert.Equal(before, WorkspaceJobs.Files(folder)); // all or nothing: the files that fitted were not written either
    }

    [Fact]
    public void A_hunk_is_found_where_lines_moved_and_a_patch_cannot_reach_out_of_the_folder()
    {
        string patch = UnifiedDiff.Create([new WorkspaceFile("a.txt", "1\n2\n3\n4\n")], [new WorkspaceFile("a.txt", "1\n2\nthree\n4\n")]);
        string folder = Materialize("moved", [new WorkspaceFile("a.txt", "0\n0\n1\n2\n3\n4\n")]);
        PatchApplier.Apply(patch, folder);
        Assert.Equal("0\n0\n1\n2\nthree\n4\n", File.ReadAllText(Path.Combine(folder, "a.txt")));

        string outside = _dir.Combine("outside.txt");
        foreach (var evil in new[] { "../outside.txt", ".git/hooks/post-checkout", "link/outside.txt" })
        {
            string target = Materialize("target-" + evil.Length, [new WorkspaceFile("link", Link: _dir.Path)]);
            string escape = $"diff --git a/{evil} b/{evil}\nnew file mode 100644\n--- /dev/null\n+++ b/{evil}\n@@ -0,0 +1 @@\n+pwned\n";
            Assert.Throws<PatchException>(() => PatchApplier.Apply(escape, target));
            Assert.False(File.Exists(outside));
            Assert.False(Directory.Exists(Path.Combine(target, ".git")));
        }
    }

    private static (int Code, string Output) Run(string program, string folder, string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd() + stderr.Result;
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
