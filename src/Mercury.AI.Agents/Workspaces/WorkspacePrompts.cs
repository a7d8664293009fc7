using System.Text;
using Mercury.AI.Agents.Jobs;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>What the model is told in a workspace job: how to work (instructions) and the task with the repository's layout.</summary>
public static class WorkspacePrompts
{
    public const string Instructions =
        "You are a careful software engineer working in a repository through tools. Look at the relevant files before " +
        "changing them, make the smallest change that does the task, run the tests with run_tests, and fix what fails. " +
        "Do not weaken or delete tests to make them pass: hidden tests are run after you finish. Paths are relative to the " +
        "repository root. When the tests pass, call finish with a short summary.";

    private const int MaxListedFiles = 200;

    /// <summary>The first user message: the task, the test commands and the repository's files.</summary>
    public static string Initial(JobSpec spec)
    {
        var workspace = spec.Workspace!;
        var sb = new StringBuilder();
        sb.AppendLine("Task:").AppendLine(spec.Instruction.Trim()).AppendLine();
        sb.AppendLine($"The repository ({spec.Language}) has {workspace.Files.Count} files:");
        foreach (var f in workspace.Files.Take(MaxListedFiles)) sb.AppendLine(f.Link is null ? f.Path : $"{f.Path} -> {f.Link} (link)");
        if (workspace.Files.Count > MaxListedFiles) sb.AppendLine($"… and {workspace.Files.Count - MaxListedFiles} more (list_files shows them)");
        sb.AppendLine().AppendLine("run_tests runs: " + string.Join("; ", workspace.TestCommands));
        if (workspace.HiddenFiles.Count > 0) sb.AppendLine("More tests that you cannot see run after you finish.");
        return sb.ToString().TrimEnd();
    }
}
