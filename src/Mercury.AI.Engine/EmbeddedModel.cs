namespace Mercury.AI.Engine;

/// <summary>
/// Finds the small diffusion coder the project trains and ships in <c>models/</c>, used when no model path is given.
/// Lookup order: <c>MERCURY_MODEL_PATH</c>, then <c>models/mercury-coder-tiny</c> beside the app (where the
/// Mercury.AI.Models.CoderTiny package, a dependency of Mercury.AI.Chat, copies it on build and publish) or in any
/// parent folder of the app or of the working directory (a clone, a test run).
/// </summary>
public static class EmbeddedModel
{
    public const string Name = "mercury-coder-tiny";
    public const string EnvironmentVariable = "MERCURY_MODEL_PATH";

    /// <summary>The model folder, or null when it cannot be found.</summary>
    public static string? TryLocate() =>
        TryLocate(Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory, Directory.GetCurrentDirectory());

    /// <summary>The model folder, or a clear error saying where it was looked for.</summary>
    public static string Locate() => TryLocate() ?? throw NotFound(AppContext.BaseDirectory);

    /// <summary>The lookup itself: a folder named by the variable, else models/<see cref="Name"/> in a start folder or a parent of one.</summary>
    internal static string? TryLocate(string? fromEnvironment, params string[] startFolders)
    {
        if (fromEnvironment is { Length: > 0 } && File.Exists(Path.Combine(fromEnvironment, "config.json")))
            return fromEnvironment;
        foreach (var start in startFolders)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", Name);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        return null;
    }

    internal static DirectoryNotFoundException NotFound(string appFolder) => new(
        $"The embedded model '{Name}' was not found in models/{Name}/ beside the app ({appFolder}) or above it: reference the " +
        $"Mercury.AI.Models.CoderTiny package (Mercury.AI.Chat brings it; check MercuryCopyEmbeddedModel is not false), set {EnvironmentVariable} " +
        $"to a model folder, or run from a clone that has models/{Name}/ (train it with: dotnet run --project src/Mercury.AI.Training -- all).");
}
