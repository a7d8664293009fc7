using System.Diagnostics;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>Workspace job files: a folder or git repository packed into the job, and bad files refused before anything is stored.</summary>
public sealed class WorkspaceJobFileTests : IDisposable
{
    private readonly TempFolder _dir = new("mercury-workspace-jobs");

    public WorkspaceJobFileTests()
    {
        Directory.CreateDirectory(_dir.Combine("repo"));
        File.WriteAllText(_dir.Combine("repo", "a.py"), "x = 1\n");
    }

    public void Dispose() { Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); _dir.Dispose(); }

    private const string Job = """{"language":"python","instruction":"x",""";

    public static TheoryData<string, string> BadJobs => new()
    {
        { Job + """ "workspace":{"path":"missing","testCommands":["true"]}}""", "workspace.path: the folder" },
        { """{"language":"html","instruction":"x","workspace":{"path":"repo","testCommands":["true"]}}""", "language 'html' has no workspace profile" },
        { Job + """ "workspace":{"path":"repo","testCommands":[]}}""", "at least one command" },
        { Job + """ "workspace":{"path":"repo","testCommands":[" "]}}""", "testCommands[0] is empty" },
        { Job + """ "tests":[{"name":"t.py","content":"x"}],"workspace":{"path":"repo","testCommands":["true"]}}""", "for function jobs" },
        { Job + """ "workspace":{"path":"repo","files":[{"path":"b","content":"x"}],"testCommands":["true"]}}""", "path or files, not both" },
        { Job + """ "workspace":{"files":[{"path":"../x","content":"a"}],"testCommands":["true"]}}""", "must not contain" },
        { Job + """ "workspace":{"files":[{"path":".git/config","content":"a"}],"testCommands":["true"]}}""", "inside .git" },
        { Job + """ "workspace":{"files":[{"path":"a","content":"x"},{"path":"a/b","content":"y"}],"testCommands":["true"]}}""", "is a file and also the folder" },
        { Job + """ "workspace":{"files":[{"path":"a","content":"x","link":"y"}],"testCommands":["true"]}}""", "exactly one of content, base64 and link" },
        { Job + """ "workspace":{"files":[{"path":"a","base64":"!!"}],"testCommands":["true"]}}""", "not valid base64" },
        { Job + """ "workspace":{"path":"repo","hiddenFiles":[{"path":"h","link":"/etc"}],"testCommands":["true"]}}""", "hidden files must be files" },
        { Job + """ "workspace":{"path":"repo","testCommands":["true"],"testTimeoutSeconds":0}}""", "testTimeoutSeconds is 0" },
        { Job + """ "workspace":{"path":"repo","testCommands":["true"]},"budget":{"maxToolCalls":0}}""", "budget.maxToolCalls is 0" },
        { Job + """ "workspace":{"path":"repo","testCommands":["true"],"surprise":1}}""", "surprise" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public async Task Bad_workspace_job_files_are_refused_with_a_clear_error_and_nothing_is_stored(string json, string expected)
    {
        string path = _dir.Combine("job.json");
        File.WriteAllText(path, json);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try { code = await Mercury.AI.Agents.Host.Cli.RunAsync(["submit", path, "--data", _dir.Combine("data")], new StringWriter()); }
        finally { Console.SetError(original); }
        Assert.Equal(2, code);
        Assert.Contains(expected, error.ToString());
        Assert.Empty(await new SqliteJobStore(_dir.Combine("data", "jobs.db")).ListAsync());
    }

    [Fact]
    public void A_git_repository_is_packed_as_git_would_carry_it_with_links_kept_as_links()
    {
        string repo = _dir.Combine("git");
        Directory.CreateDirectory(Path.Combine(repo, "build"));
        File.WriteAllText(Path.Combine(repo, ".gitignore"), "build/\n*.log\n");
        File.WriteAllText(Path.Combine(repo, "tracked.py"), "print('hi')\n");
        File.WriteAllText(Path.Combine(repo, "deleted.py"), "gone\n");
        File.WriteAllText(Path.Combine(repo, "run.sh"), "#!/bin/sh\necho run\n");
        File.WriteAllBytes(Path.Combine(repo, "logo.bin"), [0, 1, 2, 255]);
        File.CreateSymbolicLink(Path.Combine(repo, "etc"), "/etc");
        Git(repo, "init", "-q");
        Git(repo, "add", ".");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first");
        File.Delete(Path.Combine(repo, "deleted.py"));                     // tracked, deleted in the working tree
        File.WriteAllText(Path.Combine(repo, "untracked.py"), "new\n");      // untracked, not ignored: carried
        File.WriteAllText(Path.Combine(repo, "debug.log"), "noise\n");       // ignored
        File.WriteAllText(Path.Combine(repo, "build", "out.dll"), "binary"); // ignored
        _ = Mercury.AI.Agents.Sandbox.Posix.Chmod(Path.Combine(repo, "run.sh"), 0x1ED);

        var files = WorkspacePacker.Pack(repo, "workspace.path");
        Assert.Equal([".gitignore", "etc", "logo.bin", "run.sh", "tracked.py", "untracked.py"], files.Select(f => f.Path));
        Assert.Equal("/etc", files.Single(f => f.Path == "etc").Link);
        Assert.Equal(Convert.ToBase64String([0, 1, 2, 255]), files.Single(f => f.Path == "logo.bin").Base64);
        Assert.True(files.Single(f => f.Path == "run.sh").Executable);

        // Rebuilt on a host, the files are the same, the link is a link again, the script is still executable.
        string copy = _dir.Combine("copy");
        new WorkspaceSnapshot(files).Materialize(copy);
        Assert.Equal("/etc", new FileInfo(Path.Combine(copy, "etc")).LinkTarget);
        Assert.Equal([0, 1, 2, 255], File.ReadAllBytes(Path.Combine(copy, "logo.bin")));
        Assert.True((Mercury.AI.Agents.Sandbox.Posix.LStat(Path.Combine(copy, "run.sh"))!.Value.Mode & 0x40) != 0);
    }

    [Fact]
    public void Every_sample_workspace_job_is_valid_and_pins_the_test_packages_this_repository_restores()
    {
        foreach (var name in WorkspaceJobs.Names)
        {
            var spec = JobSpecParser.Parse(File.ReadAllText(WorkspaceJobs.Sample(name)), LanguageRunners.DefaultLanguages, Path.Combine(WorkspaceJobs.SamplesFolder(), name));
            Assert.NotEmpty(spec.Workspace!.Files);
            Assert.NotEmpty(spec.Workspace.HiddenFiles);
        }
        // The C# sample restores offline from the host's NuGet folder, which holds what this repository's tests use:
        // its versions must be the ones Directory.Packages.props pins.
        string props = File.ReadAllText(Path.Combine(WorkspaceJobs.SamplesFolder(), "..", "..", "Directory.Packages.props"));
        string project = File.ReadAllText(Path.Combine(WorkspaceJobs.SamplesFolder(), "csharp-stock", "repo", "Inventory.Tests", "Inventory.Tests.csproj"));
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(project, @"PackageReference Include=""([^""]+)"" Version=""([^""]+)"""))
            Assert.Contains($"<PackageVersion Include=\"{m.Groups[1].Value}\" Version=\"{m.Groups[2].Value}\" />", props);
    }

    private static void Git(string folder, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        stdout.Wait();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
    }
}
