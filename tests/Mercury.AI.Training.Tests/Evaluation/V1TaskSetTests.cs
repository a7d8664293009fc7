using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Training.Corpus;

namespace Mercury.AI.Training.Tests.Evaluation;

/// <summary>The frozen v1 held-out sets the shipped model's sampler was chosen on: their tests, as converted, pass the
/// reference answers in the real sandboxed runners and fail a wrong one.</summary>
public class V1TaskSetTests
{
    [Theory]
    [InlineData("v1-seen-python", "python", 182)]
    [InlineData("v1-seen-javascript", "javascript", 116)]
    public async Task References_pass_and_a_wrong_answer_fails(string folder, string language, int count)
    {
        var corpus = CodingCorpus.Load(Path.Combine(AppContext.BaseDirectory, "Evaluation", folder));
        Assert.Equal(count, corpus.HeldOutSeen.Count);
        Assert.All(corpus.HeldOutSeen, t => Assert.Equal(language, t.Language));
        var runner = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions())).Get(language);
        string work = Directory.CreateTempSubdirectory("mercury-v1-sets-").FullName;
        try
        {
            // Every 20th task: spread over the templates, a few seconds in all.
            foreach (var task in corpus.HeldOutSeen.Where((_, i) => i % 20 == 0))
            {
                var reference = await runner.RunAsync(ChatFormat.ExtractCode(task.Answer), task.Tests, Path.Combine(work, task.Id), CancellationToken.None);
                Assert.True(reference.Passed, $"{task.Id}: {string.Join("; ", reference.Tests.Select(t => t.Message))}");
            }
            var first = corpus.HeldOutSeen[0];
            string wrong = language == "python" ? "def unrelated():\n    return 0\n" : "function unrelated() { return 0; }\n";
            var failed = await runner.RunAsync(wrong, first.Tests, Path.Combine(work, "wrong"), CancellationToken.None);
            Assert.False(failed.Passed);
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
