using System.Text;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>One test command's run.</summary>
public sealed record CommandRun(string Command, bool Passed, string Exit, string Output, double Seconds);

/// <summary>The test commands' runs; they pass when every command exits 0.</summary>
public sealed record WorkspaceTestRun(IReadOnlyList<CommandRun> Commands)
{
    public bool Passed => Commands.Count > 0 && Commands.All(c => c.Passed);

    /// <summary>For the model and the logs: each command's verdict and the end of its output.</summary>
    public string Describe(int maxOutputChars = 6000)
    {
        var sb = new StringBuilder(Passed ? "PASSED: every test command exited 0.\n" : "FAILED.\n");
        int each = Math.Max(500, maxOutputChars / Math.Max(1, Commands.Count));
        foreach (var c in Commands)
        {
            sb.AppendLine($"$ {c.Command}  → {(c.Passed ? "pass" : "FAIL")} ({c.Exit}, {c.Seconds:0.0} s)");
            string output = c.Output.TrimEnd();
            if (output.Length > 0) sb.AppendLine(output.Length <= each ? output : "…" + output[^each..]);
        }
        return sb.ToString().TrimEnd();
    }
}

/// <summary>Where the host finds what offline test runs need (configuration section "Agents:Workspace").</summary>
public sealed class WorkspaceTestOptions
{
    /// <summary>The host's NuGet package folder, bound read-only into C# runs as a fallback folder, so that
    /// <c>dotnet test</c> restores offline the packages the host already has (default: $NUGET_PACKAGES, else
    /// ~/.nuget/packages).</summary>
    public string? NuGetPackages { get; set; } = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
        ? configured : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}

/// <summary>
/// Runs a workspace's test commands in the sandbox. Each command gets a fresh, writable copy of the workspace in the
/// sandbox's private /work (the job's copy is mounted read-only at /inputs and copied in first), so a test run can
/// build and write caches without changing the workspace, and one command's leftovers never reach the next. The
/// verdict is the command's exit status as the sandbox saw it, not anything it printed.
/// </summary>
public sealed class WorkspaceTestRunner(ISandbox sandbox, WorkspaceTestOptions? options = null)
{
    private readonly WorkspaceTestOptions _options = options ?? new();

    // Trailing slashes on every sandbox path: the unsafe mode maps "/work/" and "/inputs/" to host folders.
    private const string Prelude =
        "mkdir -p /work/repo/ && cp -R /inputs/. /work/repo/ && cd /work/repo/ " +
        "|| { echo 'mercury: could not copy the workspace into the sandbox' >&2; exit 125; }\nexec /bin/sh -c \"$1\" 2>&1";

    public async Task<WorkspaceTestRun> RunAsync(string language, string workspace, IReadOnlyList<string> commands, int? timeoutSeconds,
        string scratch, CancellationToken cancellationToken)
    {
        var profile = Profile(language, timeoutSeconds);
        var runs = new List<CommandRun>();
        for (int i = 0; i < commands.Count; i++)
        {
            string empty = Path.Combine(scratch, $"command-{i + 1}");
            Directory.CreateDirectory(empty);
            var result = await sandbox.RunAsync(new SandboxRequest(["/bin/sh", "-c", Prelude, "mercury-tests", commands[i]], empty, workspace)
            {
                Limits = profile.Limits,
                Environment = profile.Environment,
                ReadOnlyFolders = profile.ReadOnly,
            }, cancellationToken).ConfigureAwait(false);
            string output = (result.Stdout + (result.Stderr.Length > 0 ? "\n" + result.Stderr : "")).TrimEnd();
            if (result.ExitCode == 125 && output.Contains("mercury: could not copy", StringComparison.Ordinal))
                output += $"\n(the workspace did not fit the sandbox's /work of {profile.Limits.WorkspaceBytes >> 20} MiB?)";
            runs.Add(new CommandRun(commands[i], result.Succeeded, result.Describe(), output, Math.Round(result.Duration.TotalSeconds, 2)));
            Worker.WorkFolders.Delete(empty);
        }
        return new WorkspaceTestRun(runs);
    }

    internal sealed record TestProfile(SandboxLimits Limits, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> ReadOnly);

    /// <summary>Limits and environment per language: test runners start more processes, threads and files than one
    /// solution run, and the .NET SDK needs its own home, package folders and no network.</summary>
    internal TestProfile Profile(string language, int? timeoutSeconds)
    {
        int seconds = timeoutSeconds ?? (language == "csharp" ? 600 : 120);
        var common = new SandboxLimits
        {
            WallClock = TimeSpan.FromSeconds(seconds),
            CpuSeconds = 2 * seconds,
            MaxOutputBytes = 1 << 20,
            MaxFileSizeBytes = 64L << 20,
            WorkspaceBytes = 256L << 20, // the copy of the workspace and what the tests write next to it
            TmpBytes = 128L << 20,
        };
        return language switch
        {
            "python" => new(common with { AddressSpaceBytes = 2L << 30, MaxProcesses = 128, MemoryBytes = 1L << 30 },
                new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONUNBUFFERED"] = "1" }, []),
            // node --test runs each test file in a child process; V8 reserves a large virtual range per process.
            "javascript" => new(common with { AddressSpaceBytes = null, MaxProcesses = 512, MemoryBytes = 3L << 29 },
                new Dictionary<string, string> { ["NO_COLOR"] = "1" }, []),
            "csharp" => new(common with
            {
                AddressSpaceBytes = null, MaxProcesses = 2048, MaxOpenFiles = 8192, MemoryBytes = 3L << 30,
                WorkspaceBytes = 1L << 30, TmpBytes = 512L << 20, MaxFileSizeBytes = 256L << 20,
            }, DotnetEnvironment(), NuGetFolder() is { } packages ? [packages] : []),
            _ => throw new ArgumentException($"No workspace test profile for language '{language}'.", nameof(language)),
        };
    }

    private string? NuGetFolder() => _options.NuGetPackages is { } p && Directory.Exists(p) ? Path.GetFullPath(p) : null;

    private Dictionary<string, string> DotnetEnvironment()
    {
        // Restore extracts nothing new: packages the host has are read in place from the fallback folder, and anything
        // else fails (there is no network) with NuGet's own message naming the package.
        var env = new Dictionary<string, string>(Runners.CSharpRunner.DotnetEnvironment)
        {
            ["NUGET_XMLDOC_MODE"] = "skip",
            ["NuGetAudit"] = "false", // the vulnerability audit would try nuget.org and warn (NU1900) on every restore
            ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
        };
        if (NuGetFolder() is { } packages) env["NUGET_FALLBACK_PACKAGES"] = packages;
        return env;
    }
}
