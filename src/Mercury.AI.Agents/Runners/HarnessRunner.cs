using System.Reflection;
using System.Text.Json;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>
/// Shared shape of the script runners: solution, tests and a harness go into a read-only inputs folder, the harness
/// runs in the sandbox and prints one line "marker + JSON results". A random marker per run means a result line
/// printed by the solution itself is not taken for the harness's.
/// </summary>
public abstract class HarnessRunner(ISandbox sandbox) : ILanguageRunner
{
    public abstract string Language { get; }
    public abstract string SolutionFileName { get; }
    public abstract IReadOnlyList<string> FenceTags { get; }
    public abstract string SolutionConventions { get; }

    protected abstract string HarnessResource { get; }

    protected virtual SandboxLimits Limits => new() { WallClock = TimeSpan.FromSeconds(20), CpuSeconds = 15 };

    /// <summary>argv inside the sandbox, given the harness, marker, solution and test paths (all under /inputs).</summary>
    protected abstract IReadOnlyList<string> Command(string harness, string marker, string solution, IReadOnlyList<string> tests);

    protected virtual IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>();

    public async Task<TestRunResult> RunAsync(string solution, IReadOnlyList<TestFile> tests, string workDirectory, CancellationToken cancellationToken = default)
    {
        string inputs = Path.Combine(workDirectory, "inputs");
        string workspace = Path.Combine(workDirectory, "workspace");
        Directory.CreateDirectory(inputs);
        Directory.CreateDirectory(workspace);

        string harnessName = Path.GetFileName(HarnessResource);
        await File.WriteAllTextAsync(Path.Combine(inputs, harnessName), ReadResource(HarnessResource), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(inputs, SolutionFileName), solution, cancellationToken).ConfigureAwait(false);
        var testPaths = new List<string>();
        foreach (var test in tests)
        {
            string name = SafeFileName(test.Name);
            await File.WriteAllTextAsync(Path.Combine(inputs, name), test.Content, cancellationToken).ConfigureAwait(false);
            testPaths.Add($"{SandboxPaths.Inputs}/{name}");
        }

        string marker = "@@MERCURY-RESULT-" + Guid.NewGuid().ToString("N") + "@@";
        var command = Command($"{SandboxPaths.Inputs}/{harnessName}", marker, $"{SandboxPaths.Inputs}/{SolutionFileName}", testPaths);
        var result = await sandbox.RunAsync(new SandboxRequest(command, workspace, inputs) { Limits = Limits, Environment = Environment }, cancellationToken).ConfigureAwait(false);
        return Parse(result, marker);
    }

    internal static TestRunResult Parse(SandboxResult result, string marker)
    {
        int at = result.Stdout.LastIndexOf(marker, StringComparison.Ordinal);
        List<TestCaseResult>? tests = null;
        string stdout = result.Stdout;
        if (at >= 0)
        {
            int end = stdout.IndexOf('\n', at);
            string json = end < 0 ? stdout[(at + marker.Length)..] : stdout[(at + marker.Length)..end];
            try { tests = JsonSerializer.Deserialize<List<TestCaseResult>>(json, JsonOptions); } catch (JsonException) { }
            stdout = stdout[..at].TrimEnd('\n');
        }
        tests ??= [new TestCaseResult("run", false, $"The program ended before the tests finished ({result.Describe()}).")];
        if (!result.Succeeded && tests.All(t => t.Passed))
            tests = [.. tests, new TestCaseResult("run", false, $"The test process failed: {result.Describe()}.")];
        return new TestRunResult
        {
            Tests = tests,
            Stdout = stdout,
            Stderr = result.Stderr,
            Exit = result.Describe(),
            Duration = result.Duration,
        };
    }

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    internal static string SafeFileName(string name)
    {
        string file = Path.GetFileName(name);
        if (file.Length == 0 || file.StartsWith('.')) throw new ArgumentException($"Bad test file name '{name}'.", nameof(name));
        return file;
    }

    internal static string ReadResource(string name)
    {
        var assembly = typeof(HarnessRunner).Assembly;
        string full = assembly.GetManifestResourceNames().Single(n => n.EndsWith(name.Replace('/', '.'), StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(full)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
