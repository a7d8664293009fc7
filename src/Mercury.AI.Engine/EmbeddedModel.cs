namespace Mercury.AI.Engine;

/// <summary>
/// Finds the small diffusion coder the project trains and ships in <c>models/</c>, used when no model path is given.
/// Lookup order: <c>MERCURY_MODEL_PATH</c>, then <c>models/mercury-coder-tiny</c> next to the app or in any parent
/// folder (so it works from a clone, a test run and a published app that carries the folder).
/// </summary>
public static class EmbeddedModel
{
    public const string Name = "mercury-coder-tiny";
    public const string EnvironmentVariable = "MERCURY_MODEL_PATH";

    /// <summary>The model folder, or null when it cannot be found.</summary>
    public static string? TryLocate()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv && File.Exists(Path.Combine(fromEnv, "config.json")))
            return fromEnv;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", Name);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        return null;
    }

    /// <summary>The model folder, or a clear error saying where it was looked for.</summary>
    public static string Locate() => TryLocate() ?? throw new DirectoryNotFoundException(
        $"The embedded model '{Name}' was not found: set {EnvironmentVariable} to a model folder, or run from a clone that has models/{Name}/ " +
        "(train it with: dotnet run --project src/Mercury.AI.Training -- all).");
}
