using System.Reflection;
using System.Text.Json;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>
/// Shared shape of the script runners. The harness, the solution and the tests go into separate read-only folders
/// under /inputs (so a test named like the solution or the harness replaces neither), the harness runs in the sandbox
/// and prints one line "marker + secret + JSON results". The secret is new for every run and reaches the harness on
/// its standard input, which it reads and closes before it loads the solution: it is in no argv, environment variable
/// or file the candidate can read, so a result line printed by the candidate is not taken for the harness's. A run
/// with no result line, or with zero results, is a failure.
/// </summary>
public abstract class HarnessRunner(ISandbox sandbox) : ILanguageRunner
{
    internal const string ResultMarker = "@@MERCURY-RESULT-";

    public abstract string Language { get; }
    public abstract string SolutionFileName { get; }
    public abstract IReadOnlyList<string> FenceTags { get; }
    public abstract string SolutionConventions { get; }

    protected abstract string HarnessResource { get; }

    protected virtual SandboxLimits Limits => new() { WallClock = TimeSpan.FromSeconds(20), CpuSeconds = 15 };

    /// <summary>argv inside the sandbox, given the harness, solution and test paths (all under /inputs).</summary>
    protected abstract IReadOnlyList<string> Command(string harness, string solution, IReadOnlyList<string> tests);

    protected virtual IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>();

    public async Task<TestRunResult> RunAsync(string solution, IReadOnlyList<TestFile> tests, string workDirectory, CancellationToken cancellationToken = default)
    {
        string inputs = Path.Combine(workDirectory, "inputs");
        string workspace = Path.Combine(workDirectory, "workspace");
        Directory.CreateDirectory(workspace);

        string harnessName = Path.GetFileName(HarnessResource);
        await WriteInputAsync(inputs, "harness", harnessName, ReadResource(HarnessResource), cancellationToken).ConfigureAwait(false);
        await WriteInputAsync(inputs, "solution", SolutionFileName, solution, cancellationToken).ConfigureAwait(false);
        var testPaths = new List<string>();
        foreach (var test in tests)
        {
            string name = SafeFileName(test.Name);
            await WriteInputAsync(inputs, "tests", name, test.Content, cancellationToken).ConfigureAwait(false);
            testPaths.Add($"{SandboxPaths.Inputs}/tests/{name}");
        }

        string secret = NewSecret();
        var command = Command($"{SandboxPaths.Inputs}/harness/{harnessName}", $"{SandboxPaths.Inputs}/solution/{SolutionFileName}", testPaths);
        var request = new SandboxRequest(command, workspace, inputs) { Limits = Limits, Environment = Environment, StandardInput = secret + "\n" };
        var result = await sandbox.RunAsync(request, cancellationToken).ConfigureAwait(false);
        return Parse(result, ResultMarker + secret + "@@");
    }

    /// <summary>128 random bits as hex: the harness proves its result line with it.</summary>
    internal static string NewSecret() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    private static async Task WriteInputAsync(string inputs, string folder, string name, string content, CancellationToken cancellationToken)
    {
        string dir = Path.Combine(inputs, folder);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, name), content, cancellationToken).ConfigureAwait(false);
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
        // A result list with no entries (or null ones) proves nothing ran: never a pass.
        if (tests.Count == 0 || tests.Any(t => t is null || t.Name is null))
            tests = [new TestCaseResult("run", false, "The test harness reported no test results.")];
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
