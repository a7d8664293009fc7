using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Training.Corpus.Programs;

/// <summary>Runs reference solutions of freshly drawn tasks against their own tests in the real sandboxed runners:
/// a generator whose code and interpreter disagree in some language shows up here, not in a trained model.</summary>
public static class ProgramSelfCheck
{
    public static async Task<int> RunAsync(int count, int seed, IEnumerable<Lang> languages, TextWriter log, CancellationToken cancellationToken = default)
    {
        var runners = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()));
        var r = new Random(seed);
        int failures = 0, ran = 0;
        var langs = languages.ToList();
        string work = Directory.CreateTempSubdirectory("mercury-selfcheck-").FullName;
        try
        {
            while (ran < count)
            {
                var program = FunctionTasks.DrawProgram(r);
                if (program is null) continue;
                var lang = langs[ran % langs.Count];
                var task = FunctionTasks.Make(program, lang, r);
                if (task is null) continue;
                ran++;
                var runner = runners.Get(Values.Tag(lang));
                var result = await runner.RunAsync(task.Code, [.. task.Tests, .. task.HiddenTests], Path.Combine(work, $"t{ran}"), cancellationToken);
                if (!result.Passed)
                {
                    failures++;
                    log.WriteLine($"FAIL {lang} {task.Composition}\n{task.Instruction}\n{task.Code}\n{string.Join("\n", task.Tests.Concat(task.HiddenTests).Select(t => t.Content))}\n" +
                        $"{string.Join("\n", result.Tests.Where(t => !t.Passed).Select(t => t.Message))}\n{result.Stderr}\n----");
                }
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
        log.WriteLine($"self-check: {ran} tasks, {failures} failed");
        return failures;
    }

    /// <summary>The same for pages: each drawn page against its own browser tests in the Chromium runner.</summary>
    public static async Task<int> RunPagesAsync(int count, int seed, TextWriter log, CancellationToken cancellationToken = default)
    {
        var runner = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions())).Get("html");
        var r = new Random(seed);
        int failures = 0;
        string work = Directory.CreateTempSubdirectory("mercury-selfcheck-").FullName;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var components = i < Corpus.CorpusBuilder.Demos.Length
                    ? Corpus.CorpusBuilder.Demos[i].Components.Select(id => Pages.PageComponents.All.Single(c => c.Id == id)).ToList()
                    : Pages.PageBuilder.DrawComponents(r);
                var page = Pages.PageBuilder.Make(components, r);
                var result = await runner.RunAsync(page.Page, [page.Tests], Path.Combine(work, $"p{i}"), cancellationToken);
                if (!result.Passed)
                {
                    failures++;
                    log.WriteLine($"FAIL {page.Composition}\n{page.Instruction}\n{page.Page}\n{page.Tests.Content}\n" +
                        $"{string.Join("\n", result.Tests.Where(t => !t.Passed).Select(t => t.Name + ": " + t.Message))}\n{result.Stderr}\n----");
                }
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
        log.WriteLine($"page self-check: {count} pages, {failures} failed");
        return failures;
    }
}
