using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mercury.AI.Agents.Runners;

namespace Mercury.AI.Agents.Jobs;

/// <summary>A job file that cannot be accepted; <see cref="Exception.Message"/> lists every problem.</summary>
public sealed class JobSpecException(IReadOnlyList<string> problems)
    : Exception("Invalid job file:\n  - " + string.Join("\n  - ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads and checks job files (JSON). Every check runs before anything is stored, so a bad file leaves no trace.
/// A function job:
/// <code>
/// { "name": "fizzbuzz", "language": "python", "instruction": "...",
///   "tests": [ { "name": "test_fizzbuzz.py", "content": "..." } ],
///   "hiddenTests": [ ... ],
///   "budget": { "maxIterations": 8, "maxRestarts": 1, "refinementsPerAttempt": 3, "maxOutputTokens": 32000, "wallClockSeconds": 900 } }
/// </code>
/// A workspace job (<see cref="WorkspaceRules"/> checks its part):
/// <code>
/// { "name": "median", "language": "python", "instruction": "...",
///   "workspace": { "path": "repo", "hiddenPath": "hidden", "testCommands": ["python3 -m pytest -q"] },
///   "budget": { "maxTurns": 30, "maxToolCalls": 60, "maxOutputTokens": 32000, "wallClockSeconds": 900 } }
/// </code>
/// </summary>
public static class JobSpecParser
{
    /// <summary>A function job file, and a workspace job file before its folder is packed.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>A workspace job with its files inline (what the store and the HTTP API take).</summary>
    public const int MaxWorkspaceJobBytes = 8 << 20;
    public const int MaxInstructionChars = 32 * 1024;
    public const int MaxTestChars = 128 * 1024;
    public const int MaxTestFiles = 20;
    public const int MaxTestNameBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Parses and checks a job. <paramref name="baseDirectory"/>: where the job file is, so that a workspace job's
    /// <c>path</c> and <c>hiddenPath</c> folders are packed into its files; null (the HTTP API) refuses them.</summary>
    public static JobSpec Parse(string json, IReadOnlyCollection<string> knownLanguages, string? baseDirectory = null)
    {
        int bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > MaxWorkspaceJobBytes)
            throw new JobSpecException([$"the job file is larger than {MaxWorkspaceJobBytes / 1024} KiB"]);
        JobSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<JobSpec>(json, Json);
        }
        catch (JsonException e)
        {
            string where = e.Path is null ? "" : $" at {e.Path}";
            string line = e.LineNumber is null ? "" : $" (line {e.LineNumber + 1})";
            throw new JobSpecException([$"not valid job JSON{where}{line}: {FirstSentence(e.Message)}"]);
        }
        if (spec is null) throw new JobSpecException(["the job file is empty (null)"]);
        if (spec.Workspace is null && bytes > MaxFileBytes)
            throw new JobSpecException([$"the job file is larger than {MaxFileBytes / 1024} KiB"]);
        if (spec.Workspace is not null && baseDirectory is not null) spec = WorkspaceRules.Pack(spec, baseDirectory);
        Validate(spec, knownLanguages);
        return spec;
    }

    public static async Task<JobSpec> ReadFileAsync(string path, IReadOnlyCollection<string> knownLanguages, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new JobSpecException([$"job file '{path}' does not exist"]);
        if (info.Length > MaxWorkspaceJobBytes) throw new JobSpecException([$"job file '{path}' is {info.Length / 1024} KiB; the limit is {MaxWorkspaceJobBytes / 1024} KiB"]);
        return Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), knownLanguages, info.DirectoryName);
    }

    public static void Validate(JobSpec spec, IReadOnlyCollection<string> knownLanguages)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(spec.Language)) problems.Add("language is missing");
        else if (!knownLanguages.Contains(spec.Language, StringComparer.OrdinalIgnoreCase))
            problems.Add($"unknown language '{spec.Language}'; known: {string.Join(", ", knownLanguages.Order())}");
        if (string.IsNullOrWhiteSpace(spec.Instruction)) problems.Add("instruction is missing");
        else if (spec.Instruction.Length > MaxInstructionChars) problems.Add($"instruction is {spec.Instruction.Length} characters; the limit is {MaxInstructionChars}");
        if (spec.Name is { Length: > 200 }) problems.Add("name is longer than 200 characters");
        if (spec.Workspace is not null) WorkspaceRules.Check(spec, problems);
        else if (spec.Tests is null || spec.Tests.Count == 0) problems.Add("tests: at least one visible test file is needed");
        if (spec.Tests is null) problems.Add("tests is null; leave it out for none, or give an array");
        // An explicit JSON null replaces the default and would surface later as a NullReferenceException in the worker.
        if (spec.HiddenTests is null) problems.Add("hiddenTests is null; leave it out for none, or give an array");
        if (spec.Budget is null) problems.Add("budget is null; leave it out for the defaults, or give an object");
        CheckTests("tests", spec.Tests ?? [], problems);
        CheckTests("hiddenTests", spec.HiddenTests ?? [], problems);
        var b = spec.Budget ?? new JobBudget();
        Range("budget.maxIterations", b.MaxIterations, 1, 200, problems);
        Range("budget.maxRestarts", b.MaxRestarts, 0, 50, problems);
        Range("budget.refinementsPerAttempt", b.RefinementsPerAttempt, 0, 100, problems);
        Range("budget.maxOutputTokens", b.MaxOutputTokens, 16, 10_000_000, problems);
        Range("budget.wallClockSeconds", b.WallClockSeconds, 1, 7 * 24 * 3600, problems);
        Range("budget.maxTurns", b.MaxTurns, 1, 1000, problems);
        Range("budget.maxToolCalls", b.MaxToolCalls, 1, 5000, problems);
        if (problems.Count > 0) throw new JobSpecException(problems);
    }

    private static void CheckTests(string field, IReadOnlyList<TestFile> tests, List<string> problems)
    {
        if (tests.Count > MaxTestFiles) problems.Add($"{field}: {tests.Count} files; the limit is {MaxTestFiles}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tests.Count; i++)
        {
            var t = tests[i];
            if (t is null) { problems.Add($"{field}[{i}] is null"); continue; }
            if (NameProblem(t.Name) is { } bad) problems.Add($"{field}[{i}].name {bad}");
            else if (!names.Add(t.Name)) problems.Add($"{field}[{i}].name '{t.Name}' is used twice");
            if (t.Content is null) problems.Add($"{field}[{i}].content is missing");
            else if (t.Content.Length > MaxTestChars) problems.Add($"{field}[{i}].content is {t.Content.Length} characters; the limit is {MaxTestChars}");
        }
    }

    /// <summary>Test names become file names in the sandbox: one path segment, printable, at most 255 UTF-8 bytes (NAME_MAX).</summary>
    internal static string? NameProblem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "is missing";
        if (name.Any(char.IsControl)) return "must not contain control characters (NUL, newline, escape, ...)";
        int bytes;
        try { bytes = StrictUtf8.GetByteCount(name); }
        catch (EncoderFallbackException) { return "is not valid Unicode (a lone surrogate)"; }
        if (bytes > MaxTestNameBytes) return $"is {bytes} bytes of UTF-8; a file name may have at most {MaxTestNameBytes}";
        if (name != Path.GetFileName(name) || name.StartsWith('.'))
            return $"must be a plain file name (got '{name}')";
        return null;
    }

    internal static void Range(string field, int value, int min, int max, List<string> problems)
    {
        if (value < min || value > max) problems.Add($"{field} is {value}; allowed {min}..{max}");
    }

    private static string FirstSentence(string message) => message.Split(". ")[0].Split(" Path:")[0];
}
