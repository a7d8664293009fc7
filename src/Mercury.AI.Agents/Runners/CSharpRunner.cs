using System.Text;
using System.Text.RegularExpressions;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>
/// C# as a .NET 10 file-based program (<c>dotnet run app.cs</c>, Debug, so <c>Debug.Assert</c> counts). The tests are
/// top-level statements; the solution is type declarations; both go into one app.cs with the using directives
/// hoisted. The build runs inside the sandbox with no network: restore of a program without packages needs none
/// (PublishAot is switched off so the ILCompiler package is not wanted). A test file passes when the program exits 0.
/// </summary>
public sealed partial class CSharpRunner(ISandbox sandbox) : ILanguageRunner
{
    public string Language => "csharp";
    public string SolutionFileName => "Solution.cs";
    public IReadOnlyList<string> FenceTags => ["csharp", "cs", "c#"];

    public string SolutionConventions =>
        "Write C# type declarations only (for example a public static class with the methods the tests call), with " +
        "any using directives at the top. No top-level statements, no Main method, no namespace declaration, no NuGet packages.";

    private static readonly SandboxLimits BuildAndRunLimits = new()
    {
        WallClock = TimeSpan.FromSeconds(120),
        CpuSeconds = 240,
        AddressSpaceBytes = null, // the .NET GC reserves far more address space than it uses
        MaxProcesses = 1024,      // MSBuild and Roslyn are thread-heavy; RLIMIT_NPROC counts threads
        MaxFileSizeBytes = 64L << 20,
    };

    public async Task<TestRunResult> RunAsync(string solution, IReadOnlyList<TestFile> tests, string workDirectory, CancellationToken cancellationToken = default)
    {
        var results = new List<TestCaseResult>();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var exits = new List<string>();
        var duration = TimeSpan.Zero;
        int index = 0;
        foreach (var test in tests)
        {
            // One program per test file, so one failing Debug.Assert does not hide the others.
            string workspace = Path.Combine(workDirectory, $"workspace{index++}");
            Directory.CreateDirectory(workspace);
            await File.WriteAllTextAsync(Path.Combine(workspace, "app.cs"), ComposeProgram(solution, test.Content), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(workspace, "nuget.config"), OfflineNuGetConfig, cancellationToken).ConfigureAwait(false);
            var run = await sandbox.RunAsync(new SandboxRequest(["/usr/bin/dotnet", "run", "app.cs"], workspace)
            {
                Limits = BuildAndRunLimits,
                // The sandbox's /etc allow-list is enough; with no readable /etc at all the SDK hangs in restore.
                Environment = DotnetEnvironment,
            }, cancellationToken).ConfigureAwait(false);
            run = run with { Stderr = WithoutSdkNoise(run.Stderr), Stdout = WithoutSdkNoise(run.Stdout) };
            duration += run.Duration;
            stdout.Append(run.Stdout);
            stderr.Append(run.Stderr);
            exits.Add(run.Describe());
            results.Add(run.Succeeded
                ? new TestCaseResult(test.Name, true)
                : new TestCaseResult(test.Name, false, FailureMessage(run)));
        }
        return new TestRunResult
        {
            Tests = results,
            Stdout = stdout.ToString(),
            Stderr = stderr.ToString(),
            Exit = string.Join("; ", exits),
            Duration = duration,
        };
    }

    private static readonly Dictionary<string, string> DotnetEnvironment = new()
    {
        ["DOTNET_CLI_HOME"] = SandboxPaths.Workspace + "/.dotnet-home",
        ["NUGET_PACKAGES"] = SandboxPaths.Workspace + "/.nuget-packages",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };

    private const string OfflineNuGetConfig =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n";

    /// <summary>app.cs = directives, hoisted usings, the test's top-level statements, then the solution's types.</summary>
    internal static string ComposeProgram(string solution, string tests)
    {
        var usings = new List<string> { "using System;", "using System.Collections.Generic;", "using System.Diagnostics;", "using System.Linq;" };
        string testBody = HoistUsings(tests, usings);
        string solutionBody = HoistUsings(solution, usings);
        var sb = new StringBuilder();
        sb.AppendLine("#:property PublishAot=false");
        sb.AppendLine("#:property Nullable=disable");
        sb.AppendLine("#:property TreatWarningsAsErrors=false");
        foreach (var u in usings.Distinct(StringComparer.Ordinal)) sb.AppendLine(u);
        sb.AppendLine("// ---- tests ----");
        sb.AppendLine(testBody);
        sb.AppendLine("// ---- solution ----");
        sb.AppendLine(solutionBody);
        return sb.ToString();
    }

    private static string HoistUsings(string code, List<string> usings)
    {
        var kept = new StringBuilder();
        foreach (var line in code.Replace("\r\n", "\n").Split('\n'))
        {
            if (UsingDirective().IsMatch(line)) usings.Add(line.Trim());
            else if (!line.TrimStart().StartsWith("#:", StringComparison.Ordinal)) kept.AppendLine(line);
        }
        return kept.ToString();
    }

    // Printed by the SDK when it cannot check workload manifests online; says nothing about the candidate.
    private static string WithoutSdkNoise(string text) =>
        string.Join('\n', text.Split('\n').Where(l => !l.Contains("An issue was encountered verifying workloads", StringComparison.Ordinal)));

    private static string FailureMessage(SandboxResult run)
    {
        var compileErrors = run.Stdout.Split('\n').Where(l => l.Contains("error CS", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l, @"^.*?app\.cs", "app.cs").Trim()).Distinct().Take(10).ToList();
        if (compileErrors.Count > 0) return "Build failed:\n" + string.Join('\n', compileErrors);
        string tail = string.Join('\n', run.Stderr.Split('\n').TakeLast(30));
        return $"{run.Describe()}\n{tail}".Trim();
    }

    [GeneratedRegex(@"^\s*using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?\s*;\s*$")]
    private static partial Regex UsingDirective();
}
