using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Mercury.AI.Packaging.Tests;

/// <summary>
/// The packages keep their promise to an app outside the repository that references Mercury.AI.Chat only: it builds
/// and publishes on this machine, TorchSharp loads (the GLIBCXX build step travelled with Mercury.AI.Engine), the
/// embedded model is beside the app (Mercury.AI.Models.CoderTiny) and <c>services.AddDiffusionChatClient()</c> answers
/// with it. Slow (a Release pack of the repository and a consumer publish: a couple of minutes); runs in CI.
/// </summary>
[Collection(PackagesCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PackageConsumerTests(PackagedConsumer packages)
{
    private static readonly string[] PackedProjects = ["Mercury.AI.Engine", "Mercury.AI.Chat", "Mercury.AI.Chat.SemanticKernel", "Mercury.AI.Models.CoderTiny"];

    [Fact]
    public void Pack_at_the_root_writes_a_package_with_a_readme_for_every_packable_project_to_nuget()
    {
        Assert.True(packages.Pack.Succeeded, packages.Pack.ToString());
        var packable = Directory.GetFiles(Path.Combine(packages.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => XDocument.Load(p).Descendants("IsPackable").Any(e => e.Value.Trim() == "true"))
            .Select(p => Path.GetFileNameWithoutExtension(p)).Order().ToList();
        Assert.Equal(PackedProjects.Order(), packable);
        foreach (string id in packable)
        {
            using var package = ZipFile.OpenRead(packages.Package(id));
            var metadata = Nuspec(package).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string readme = metadata.Elements().Single(e => e.Name.LocalName == "readme").Value;
            var entry = package.GetEntry(readme);
            Assert.True(entry is { Length: > 200 }, $"{id}: the package README {readme} is missing or nearly empty");
        }
    }

    [Fact]
    public void The_model_package_holds_every_file_of_the_model_folder_and_the_chat_package_depends_on_it()
    {
        Assert.True(packages.Pack.Succeeded, packages.Pack.ToString());
        using (var model = ZipFile.OpenRead(packages.Package("Mercury.AI.Models.CoderTiny")))
        {
            const string Prefix = "models/mercury-coder-tiny/";
            var packed = model.Entries.Where(e => e.FullName.StartsWith(Prefix, StringComparison.Ordinal))
                .ToDictionary(e => e.FullName[Prefix.Length..], e => e.Length);
            var folder = PackagedConsumer.FilesUnder(packages.ModelFolder);
            Assert.Equal(folder, packed.Keys.Order());
            foreach (string file in folder) Assert.Equal(new FileInfo(Path.Combine(packages.ModelFolder, file)).Length, packed[file]);
            Assert.NotNull(model.GetEntry("buildTransitive/Mercury.AI.Models.CoderTiny.targets"));
            Assert.DoesNotContain(model.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal));
        }
        Assert.Contains(("Mercury.AI.Models.CoderTiny", packages.Version), Dependencies("Mercury.AI.Chat"));
        Assert.Contains(("Mercury.AI.Engine", packages.Version), Dependencies("Mercury.AI.Chat"));
    }

    [Fact]
    public void The_engine_package_carries_the_TorchSharp_build_step_as_buildTransitive_and_brings_TorchSharp_and_libtorch()
    {
        Assert.True(packages.Pack.Succeeded, packages.Pack.ToString());
        using var engine = ZipFile.OpenRead(packages.Package("Mercury.AI.Engine"));
        using var shipped = new StreamReader(engine.GetEntry("buildTransitive/Mercury.AI.Engine.targets")!.Open());
        Assert.Equal(File.ReadAllText(Path.Combine(packages.RepoRoot, "src", "Mercury.AI.Engine", "buildTransitive", "Mercury.AI.Engine.targets")), shipped.ReadToEnd());
        var dependencies = Dependencies("Mercury.AI.Engine").Select(d => d.Id).ToList();
        Assert.Contains("TorchSharp", dependencies);
        Assert.Contains("libtorch-cpu-linux-x64", dependencies);
    }

    [Fact]
    public void A_consumer_outside_the_repository_gets_an_answer_from_the_embedded_model_through_AddDiffusionChatClient()
    {
        Assert.True(packages.PublishResult?.Succeeded, packages.PublishResult?.ToString() ?? packages.Pack.ToString());
        var run = packages.Run!;
        Assert.True(run.Succeeded, run.ToString());
        string modelFolder = Path.Combine(packages.Publish, "models", "mercury-coder-tiny");
        Assert.Contains($"model folder: {modelFolder}", run.Output);                 // the package's copy, no variable
        var summary = Regex.Match(run.Output, @"model: (\S+), output tokens: (\d+), finish: (\S+)");
        Assert.True(summary.Success, run.ToString());
        Assert.Equal("mercury-coder-tiny", summary.Groups[1].Value);
        Assert.True(int.Parse(summary.Groups[2].Value) > 0, run.ToString());
        string answer = run.Output[(run.Output.IndexOf("answer:\n", StringComparison.Ordinal) + "answer:\n".Length)..];
        Assert.False(string.IsNullOrWhiteSpace(answer), run.ToString());
    }

    [Fact]
    public void The_published_app_carries_the_whole_model_folder_and_imports_both_build_steps()
    {
        Assert.True(packages.PublishResult?.Succeeded, packages.PublishResult?.ToString() ?? packages.Pack.ToString());
        Assert.Equal(PackagedConsumer.FilesUnder(packages.ModelFolder), PackagedConsumer.FilesUnder(Path.Combine(packages.Publish, "models", "mercury-coder-tiny")));
        string imports = File.ReadAllText(Path.Combine(packages.Consumer, "obj", "NuGetConsumer.csproj.nuget.g.targets"));
        Assert.Contains("buildTransitive/Mercury.AI.Engine.targets", imports.Replace('\\', '/'));
        Assert.Contains("buildTransitive/Mercury.AI.Models.CoderTiny.targets", imports.Replace('\\', '/'));
        // The step patches exactly where this machine's libstdc++ lacks the version, and says so in the build log.
        Assert.Equal(packages.NativeLibraryPatched, packages.PublishResult!.Output.Contains("Marked GLIBCXX_3.4.32 weak", StringComparison.Ordinal));
    }

    [Fact]
    public void An_app_with_the_unpatched_native_library_fails_naming_the_missing_GLIBCXX_version_and_the_fix()
    {
        Assert.True(packages.PublishResult?.Succeeded, packages.PublishResult?.ToString() ?? packages.Pack.ToString());
        if (!packages.NativeLibraryPatched) return; // this machine's libstdc++ has GLIBCXX_3.4.32: the original loads as it is
        var run = packages.RunUnpatched!;
        Assert.False(run.Succeeded, run.ToString());
        Assert.Contains("needs GLIBCXX_3.4.32 from libstdc++.so.6", run.Output);
        Assert.Contains("MercuryPatchLibTorchSharp", run.Output);
        Assert.DoesNotContain("doesn't contain a reference to libtorch-cpu-linux-x64", run.Output); // TorchSharp's misleading message
        // Refused before TorchSharp's own loader ran: it would have copied all of libtorch into a cpu/ folder to retry.
        Assert.False(Directory.Exists(Path.Combine(packages.Publish, "cpu")));
    }

    [Fact]
    public void MercuryCopyEmbeddedModel_false_leaves_the_model_out_of_the_app()
    {
        Assert.True(packages.PublishResult?.Succeeded, packages.PublishResult?.ToString() ?? packages.Pack.ToString());
        Assert.Equal(PackagedConsumer.FilesUnder(packages.ModelFolder).Count, EmbeddedModelItems());
        Assert.Equal(0, EmbeddedModelItems("-p:MercuryCopyEmbeddedModel=false"));
    }

    /// <summary>How many files the consumer's evaluated project would copy as the embedded model.</summary>
    private int EmbeddedModelItems(params string[] properties)
    {
        var result = DotnetCli.Run(packages.Work, TimeSpan.FromMinutes(3),
            ["msbuild", Path.Combine(packages.Consumer, "NuGetConsumer.csproj"), "-getItem:None", $"-p:MercuryVersion={packages.Version}", .. properties]);
        Assert.True(result.Succeeded, result.ToString());
        using var items = JsonDocument.Parse(result.Output[result.Output.IndexOf('{')..]);
        return items.RootElement.GetProperty("Items").GetProperty("None").EnumerateArray()
            .Count(i => i.TryGetProperty("MercuryEmbeddedModel", out var flag) && flag.GetString() == "true");
    }

    private List<(string Id, string Version)> Dependencies(string id)
    {
        using var package = ZipFile.OpenRead(packages.Package(id));
        return Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!)).ToList();
    }

    private static XDocument Nuspec(ZipArchive package)
    {
        using var stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/')).Open();
        return XDocument.Load(stream);
    }
}
