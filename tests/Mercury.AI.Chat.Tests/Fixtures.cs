namespace Mercury.AI.Chat.Tests;

/// <summary>
/// Locates the read-only reference fixtures in <c>shared/fixtures</c>, which lives beside the clone's folder
/// (<c>&lt;clone&gt;/../shared/fixtures</c>) on developer machines and in CI alike.
/// </summary>
public static class Fixtures
{
    /// <summary>Set this variable to point the tests at a fixtures folder somewhere else.</summary>
    public const string OverrideVariable = "MERCURY_FIXTURES";

    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>Absolute path of the <c>shared/fixtures</c> folder.</summary>
    public static string Root => s_root.Value;

    /// <summary>A path inside the fixtures folder, e.g. <c>Fixtures.Path("dream-tiny", "config.json")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        string? overridden = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            return Directory.Exists(overridden)
                ? System.IO.Path.GetFullPath(overridden)
                : throw new DirectoryNotFoundException($"{OverrideVariable} is set to '{overridden}', which is not a folder.");
        }

        // Walk up from the test binaries (…/tests/X/bin/Debug/net10.0) until some ancestor has shared/fixtures.
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"No shared/fixtures folder found in any parent of '{AppContext.BaseDirectory}'. The fixtures are expected " +
            $"beside the clone (<clone>/../shared/fixtures); set {OverrideVariable} to use another location.");
    }
}
