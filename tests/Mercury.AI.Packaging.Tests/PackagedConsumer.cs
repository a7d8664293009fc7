using System.Text.Json;
using System.Xml.Linq;

namespace Mercury.AI.Packaging.Tests;

[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<PackagedConsumer>
{
    public const string Name = "packages";
}

/// <summary>
/// Done once for all package tests, as CI does it: `dotnet pack` at the root of a copy of the repository (with a version
/// no cache can hold yet; the copy, without build outputs, keeps the pack's restore and Release build away from the
/// clone's own obj/ folders while other test projects build), which writes the packages to its nuget/ folder; copy samples/NuGetConsumer to a temp folder outside the repository (no Directory.Build.*
/// above it), give it a nuget.config with that feed for Mercury.AI.* and the repository's own feeds for third-party
/// packages, an empty package cache of its own (so no stale Mercury.AI.* package is used; the user's cache serves as a
/// read-only fallback for third-party packages), then `dotnet publish` it and run it from the publish folder with the
/// working directory outside the repository. Where the build step patched TorchSharp's native library, the app is
/// also run once with TorchSharp's original (unpatched) library to see the failure it reports.
/// </summary>
public sealed class PackagedConsumer : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    public const string NativeLibrary = "libLibTorchSharp.so";

    public string RepoRoot { get; }
    public string Work { get; }

    /// <summary>The copy of the repository that is packed.</summary>
    public string Snapshot { get; }
    public string Feed { get; }
    public string Consumer { get; }
    public string Publish { get; }
    public string Version { get; }
    public CommandResult Pack { get; }
    public CommandResult? PublishResult { get; }
    public CommandResult? Run { get; }

    /// <summary>Whether the build step changed the published native library (it does where libstdc++ lacks GLIBCXX_3.4.32).</summary>
    public bool NativeLibraryPatched { get; }

    /// <summary>The app run with TorchSharp's original native library; null where the build step had nothing to patch.</summary>
    public CommandResult? RunUnpatched { get; }

    public PackagedConsumer()
    {
        RepoRoot = FindRepoRoot();
        Work = Directory.CreateTempSubdirectory("mercury-packages-").FullName;
        Snapshot = Path.Combine(Work, "repo");
        CopyRepository(RepoRoot, Snapshot);
        Feed = Path.Combine(Snapshot, "nuget");
        Consumer = Directory.CreateDirectory(Path.Combine(Work, "consumer")).FullName;
        AssertOutsideAnyBuildTree(Consumer, RepoRoot);
        Publish = Path.Combine(Work, "publish");
        Version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        Pack = DotnetCli.Run(Snapshot, BuildTimeout, "pack", "--disable-build-servers", $"-p:Version={Version}");
        if (!Pack.Succeeded) return;

        foreach (string file in new[] { "NuGetConsumer.csproj", "Program.cs" })
            File.Copy(Path.Combine(RepoRoot, "samples", "NuGetConsumer", file), Path.Combine(Consumer, file));
        File.WriteAllText(Path.Combine(Consumer, "nuget.config"), ConsumerNuGetConfig());

        PublishResult = DotnetCli.Run(Work, BuildTimeout, "publish", Consumer, "-c", "Release", "--disable-build-servers",
            "-o", Publish, $"-p:MercuryVersion={Version}");
        if (!PublishResult.Succeeded) return;

        Run = DotnetCli.Run(Work, RunTimeout, Path.Combine(Publish, "NuGetConsumer.dll"));

        string published = Directory.GetFiles(Publish, NativeLibrary, SearchOption.AllDirectories).Single();
        byte[] patched = File.ReadAllBytes(published);
        byte[] original = File.ReadAllBytes(OriginalNativeLibrary());
        NativeLibraryPatched = !patched.AsSpan().SequenceEqual(original);
        if (!NativeLibraryPatched) return;
        try
        {
            File.WriteAllBytes(published, original);
            RunUnpatched = DotnetCli.Run(Work, RunTimeout, Path.Combine(Publish, "NuGetConsumer.dll"));
        }
        finally
        {
            File.WriteAllBytes(published, patched);
        }
    }

    public void Dispose() => Directory.Delete(Work, recursive: true);

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public string ModelFolder => Path.Combine(RepoRoot, "models", "mercury-coder-tiny");

    /// <summary>Relative paths ('/'-separated) of every file under a folder.</summary>
    public static IReadOnlyList<string> FilesUnder(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order().ToList();

    /// <summary>The repository's own package feeds, for third-party packages, plus the packed folder for Mercury.AI.*.</summary>
    private string ConsumerNuGetConfig()
    {
        var repoSources = XDocument.Load(Path.Combine(RepoRoot, "nuget.config")).Descendants("packageSources").Elements("add")
            .Select(e => (Key: (string)e.Attribute("key")!, Value: (string)e.Attribute("value")!)).ToList();
        var config = new XElement("configuration",
            new XElement("config",
                new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Path.Combine(Work, "packages")))),
            new XElement("fallbackPackageFolders",
                new XElement("add", new XAttribute("key", "user"), new XAttribute("value", UserPackagesFolder()))),
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "mercury-local"), new XAttribute("value", Feed)),
                repoSources.Select(s => new XElement("add", new XAttribute("key", s.Key), new XAttribute("value", s.Value)))),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "mercury-local"),
                    new XElement("package", new XAttribute("pattern", "Mercury.AI.*"))),
                repoSources.Select(s => new XElement("packageSource", new XAttribute("key", s.Key),
                    new XElement("package", new XAttribute("pattern", "*"))))));
        return config.ToString();
    }

    private static string UserPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>TorchSharp's native library as the package ships it, from a package folder the consumer restored from.</summary>
    private string OriginalNativeLibrary()
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(Consumer, "obj", "project.assets.json")));
        string torchSharp = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(p => p.Name).Single(n => n.StartsWith("TorchSharp/", StringComparison.OrdinalIgnoreCase));
        string relative = Path.Combine(torchSharp.ToLowerInvariant(), "runtimes", "linux-x64", "native", NativeLibrary);
        return assets.RootElement.GetProperty("packageFolders").EnumerateObject()
            .Select(f => Path.Combine(f.Name, relative)).First(File.Exists);
    }

    /// <summary>The repository's files without build outputs, packages or git metadata.</summary>
    private static void CopyRepository(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
            if (Path.GetFileName(file) != ".git" && !file.EndsWith(".nupkg", StringComparison.Ordinal) && !file.EndsWith(".snupkg", StringComparison.Ordinal))
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string folder in Directory.GetDirectories(from))
            if (Path.GetFileName(folder) is not ("bin" or "obj" or ".git" or ".vs" or ".device" or "TestResults" or "artifacts"))
                CopyRepository(folder, Path.Combine(to, Path.GetFileName(folder)));
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Mercury.AI.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Mercury.AI.sln above {AppContext.BaseDirectory}.");
    }

    private static void AssertOutsideAnyBuildTree(string consumer, string repoRoot)
    {
        if (Path.GetFullPath(consumer).StartsWith(Path.GetFullPath(repoRoot) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException($"The temp folder {consumer} is inside the repository; set TMPDIR elsewhere.");
        for (var dir = new DirectoryInfo(consumer); dir is not null; dir = dir.Parent)
            foreach (string inherited in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
                if (File.Exists(Path.Combine(dir.FullName, inherited)))
                    throw new InvalidOperationException($"{Path.Combine(dir.FullName, inherited)} would be inherited by the consumer; set TMPDIR elsewhere.");
    }
}
