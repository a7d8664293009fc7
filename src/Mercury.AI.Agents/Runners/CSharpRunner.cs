using System.Text;
using System.Text.RegularExpressions;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>
/// C# as a .NET 10 file-based program (<c>dotnet run app.cs</c>, Debug, so <c>Debug.Assert</c> counts). The tests are
/// top-level statements; the solution is type declarations; both go into one app.cs with the using directives
/// hoisted (<see cref="CSharpTestProgram"/>). The build runs inside the sandbox with no network: restore of a program
/// without packages needs none (PublishAot is switched off so the ILCompiler package is not wanted). A test file passes
/// when its program exits 0 after printing the run's secret at the end of the test statements.
/// </summary>
public sealed class CSharpRunner(ISandbox sandbox) : ILanguageRunner
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
        MaxOpenFiles = 4096,      // MSBuild holds many assemblies and files open
        MemoryBytes = 3L << 30,   // SDK, MSBuild and Roslyn in one run
        WorkspaceBytes = 256L << 20, // DOTNET_CLI_HOME and the (empty) NuGet cache
        TmpBytes = 512L << 20,    // the build's obj/ and bin/ of a file-based program
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
            if (CSharpTestProgram.Refusal(solution, test.Content) is { } refusal)
            {
                results.Add(new TestCaseResult(test.Name, false, refusal));
                exits.Add("not built");
                continue;
            }
            // One program per test file, so one failing Debug.Assert does not hide the others.
            string workspace = Path.Combine(workDirectory, $"workspace{index++}");
            Directory.CreateDirectory(workspace);
            await File.WriteAllTextAsync(Path.Combine(workspace, "app.cs"), CSharpTestProgram.Compose(solution, test.Content), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(workspace, "nuget.config"), OfflineNuGetConfig, cancellationToken).ConfigureAwait(false);
            string secret = HarnessRunner.NewSecret();
            var run = await sandbox.RunAsync(new SandboxRequest(["/usr/bin/dotnet", "run", "app.cs"], workspace)
            {
                Limits = BuildAndRunLimits,
                // The sandbox's /etc allow-list is enough; with no readable /etc at all the SDK hangs in restore.
                Environment = DotnetEnvironment,
                StandardInput = secret + "\n",
            }, cancellationToken).ConfigureAwait(false);
            string proof = CSharpTestProgram.DoneMarker + secret + "@@";
            bool completed = run.Stdout.Contains(proof, StringComparison.Ordinal);
            run = run with { Stderr = WithoutSdkNoise(run.Stderr), Stdout = WithoutSdkNoise(run.Stdout.Replace(proof, "", StringComparison.Ordinal)) };
            duration += run.Duration;
            stdout.Append(run.Stdout);
            stderr.Append(run.Stderr);
            exits.Add(run.Describe());
            results.Add(run.Succeeded && completed ? new TestCaseResult(test.Name, true)
                : run.Succeeded ? new TestCaseResult(test.Name, false,
                    "The test program exited 0 before its last statement ran (the solution ended the process early, e.g. Environment.Exit).")
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

    /// <summary>The .NET SDK offline and quiet in the sandbox: its home and package folder in the private /work.</summary>
    internal static readonly IReadOnlyDictionary<string, string> DotnetEnvironment = new Dictionary<string, string>
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
}
