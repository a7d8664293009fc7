namespace Mercury.AI.Engine.Tests;

/// <summary>
/// Locates the reference fixtures vendored in the clone's <c>tests/fixtures</c> (reference checkpoints, golden logits
/// and generations, a tokenizer; see its README), so the tests pass from a clone alone.
/// </summary>
public static class Fixtures
{
    /// <summary>Set this variable to point the tests at a fixtures folder somewhere else.</summary>
    public const string OverrideVariable = "MERCURY_FIXTURES";

    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>Absolute path of the <c>tests/fixtures</c> folder.</summary>
    public static string Root => s_root.Value;

    /// <summary>A path inside the fixtures folder, e.g. <c>Fixtures.Path("dream-tiny", "config.json")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>A path inside the clone's <c>tests/</c> folder, found by walking up from the test binaries
    /// (…/tests/X/bin/Debug/net10.0); null when no parent has it.</summary>
    public static string? FindInTestsFolder(params string[] parts)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine([dir.FullName, "tests", .. parts]);
            if (Directory.Exists(candidate) || File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static string FindRoot()
    {
        string? overridden = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            return Directory.Exists(overridden)
                ? System.IO.Path.GetFullPath(overridden)
                : throw new DirectoryNotFoundException($"{OverrideVariable} is set to '{overridden}', which is not a folder.");
        }

        return FindInTestsFolder("fixtures") ?? throw new DirectoryNotFoundException(
            $"No tests/fixtures folder found in any parent of '{AppContext.BaseDirectory}'. The fixtures are part of the " +
            $"clone (tests/fixtures); set {OverrideVariable} to use another location.");
    }
}
