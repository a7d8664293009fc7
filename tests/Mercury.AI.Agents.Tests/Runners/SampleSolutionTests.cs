using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Runners;

/// <summary>Every sample job can be solved: its reference solution in samples/tasks/solutions passes its visible and hidden tests.</summary>
public sealed class SampleSolutionTests : IDisposable
{
    private readonly TempFolder _work = new("mercury-samples");

    public void Dispose() => _work.Dispose();

    internal static string SamplesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "samples", "tasks"))) return Path.Combine(dir.FullName, "samples", "tasks");
        throw new DirectoryNotFoundException("samples/tasks");
    }

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(SamplesFolder(), "*.json").Order()) data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Reference_solution_passes_the_sample(string sample)
    {
        string folder = SamplesFolder();
        var spec = JobSpecParser.Parse(File.ReadAllText(Path.Combine(folder, sample + ".json")), LanguageRunners.DefaultLanguages);
        string solution = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(folder, "solutions"), sample + ".*")));
        var runner = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions())).Get(spec.Language);

        var visible = await runner.RunAsync(solution, spec.Tests, _work.Combine("visible"));
        Assert.True(visible.Passed, string.Join("\n", visible.Tests) + visible.Stdout + visible.Stderr);
        if (spec.HiddenTests.Count > 0)
        {
            var hidden = await runner.RunAsync(solution, spec.HiddenTests, _work.Combine("hidden"));
            Assert.True(hidden.Passed, string.Join("\n", hidden.Tests) + hidden.Stderr);
        }
    }
}
