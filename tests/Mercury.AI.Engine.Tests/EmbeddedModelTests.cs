namespace Mercury.AI.Engine.Tests;

/// <summary>Where the embedded model is found: the folder the Mercury.AI.Models.CoderTiny package copies beside the app
/// needs no configuration; MERCURY_MODEL_PATH wins when it names a model folder.</summary>
public sealed class EmbeddedModelTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("mercury-embedded-");

    public void Dispose() => _work.Delete(recursive: true);

    private string ModelFolderAt(string root)
    {
        string folder = Path.Combine(_work.FullName, root, "models", EmbeddedModel.Name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        return folder;
    }

    [Fact]
    public void The_copy_beside_the_app_is_found_without_an_environment_variable()
    {
        string app = Path.Combine(_work.FullName, "app");
        string copy = ModelFolderAt("app");
        Assert.Equal(copy, EmbeddedModel.TryLocate(null, app, Path.Combine(_work.FullName, "elsewhere")));
        Assert.Equal(copy, EmbeddedModel.TryLocate("", Path.Combine(app, "bin", "Debug")));   // or above it (a clone)
    }

    [Fact]
    public void The_environment_variable_wins_when_it_names_a_model_folder_and_is_ignored_when_it_does_not()
    {
        string app = Path.Combine(_work.FullName, "app");
        string copy = ModelFolderAt("app");
        string named = ModelFolderAt("named");
        Assert.Equal(named, EmbeddedModel.TryLocate(named, app));
        Assert.Equal(copy, EmbeddedModel.TryLocate(Path.Combine(_work.FullName, "no-model-here"), app));
    }

    [Fact]
    public void Not_found_says_where_it_looked_and_names_the_package_and_the_variable()
    {
        string app = Path.Combine(_work.FullName, "bare-app");
        Directory.CreateDirectory(app);
        Assert.Null(EmbeddedModel.TryLocate(null, app));
        string message = EmbeddedModel.NotFound(app).Message;
        Assert.Contains(app, message);
        Assert.Contains("Mercury.AI.Models.CoderTiny", message);
        Assert.Contains(EmbeddedModel.EnvironmentVariable, message);
        Assert.Contains("MercuryCopyEmbeddedModel", message);
    }
}
