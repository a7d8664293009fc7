using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Tests.Workspaces;

/// <summary>Workspace jobs for tests: a small inline one, and the samples in samples/workspaces.</summary>
internal static class WorkspaceJobs
{
    public static JobSpec Inline() => new()
    {
        Name = "inline",
        Language = "python",
        Instruction = "Make test_a pass.",
        Workspace = new WorkspaceSpec
        {
            Files = [new WorkspaceFile("a.py", "def f():\n    return 1\n"), new WorkspaceFile("test_a.py", "from a import f\n\ndef test_a():\n    assert f() == 2\n")],
            TestCommands = ["python3 -m pytest -q"],
            HiddenFiles = [new WorkspaceFile("test_hidden.py", "from a import f\n\ndef test_hidden():\n    assert f() + 1 == 3\n")],
        },
    };

    public static string SamplesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "samples", "workspaces"))) return Path.Combine(dir.FullName, "samples", "workspaces");
        throw new DirectoryNotFoundException("samples/workspaces");
    }

    public static string Sample(string name, string file = "job.json") => Path.Combine(SamplesFolder(), name, file);

    public static readonly string[] Names = ["csharp-stock", "javascript-truncate", "python-median"];

    /// <summary>--chat replay:… with every sample's solving trajectory (each picks its job by its "when").</summary>
    public static string AllTrajectories => "replay:" + string.Join(",", Names.Select(n => Sample(n, "trajectory.json")));

    /// <summary>A copy of a sample's repository, as a user would have it, to apply a patch to.</summary>
    public static string FreshCopy(string name, string destination)
    {
        CopyFolder(Sample(name, "repo"), destination);
        return destination;
    }

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(source)) CopyFolder(dir, Path.Combine(destination, Path.GetFileName(dir)));
    }

    /// <summary>The relative paths and contents of the files under a folder.</summary>
    public static SortedDictionary<string, string> Files(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllText), StringComparer.Ordinal);
}
