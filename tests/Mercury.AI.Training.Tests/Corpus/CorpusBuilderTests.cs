using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Evaluation;

namespace Mercury.AI.Training.Tests.Corpus;

public class CorpusBuilderTests
{
    private static readonly CorpusOptions Small = new() { Seed = 42, TrainCount = 300, HeldOutSeenCount = 40, UnseenCount = 20 };

    [Fact]
    public void Same_seed_builds_the_same_corpus()
    {
        var a = CorpusBuilder.Build(Small);
        var b = CorpusBuilder.Build(Small);
        Assert.Equal(Json(a.Train), Json(b.Train));
        Assert.Equal(Json(a.HeldOutSeen), Json(b.HeldOutSeen));
        Assert.Equal(Json(a.Unseen), Json(b.Unseen));
        var c = CorpusBuilder.Build(Small with { Seed = 43 });
        Assert.NotEqual(a.Train.Select(t => t.Instruction), c.Train.Select(t => t.Instruction));
    }

    private static string Json(IEnumerable<CodingTask> tasks) => System.Text.Json.JsonSerializer.Serialize(tasks);

    [Fact]
    public void Unseen_templates_and_held_out_instructions_never_reach_training()
    {
        var corpus = CorpusBuilder.Build(Small with { TrainCount = 3000 });
        var unseen = CorpusBuilder.UnseenTemplateIds.ToHashSet();
        Assert.DoesNotContain(corpus.Train, t => unseen.Contains(t.TemplateId));
        Assert.All(corpus.Unseen, t => Assert.Contains(t.TemplateId, unseen));
        var heldOut = corpus.HeldOutSeen.Select(t => t.Instruction).ToHashSet();
        Assert.DoesNotContain(corpus.Train, t => heldOut.Contains(t.BaseInstruction ?? t.Instruction));
    }

    [Fact]
    public void Training_set_mixes_every_kind_and_uses_the_chat_answer_shapes()
    {
        var corpus = CorpusBuilder.Build(Small with { TrainCount = 1000 });
        Assert.Equal(Enum.GetValues<TaskKind>().Order(), corpus.Train.Select(t => t.Kind).Distinct().Order());
        Assert.All(corpus.Train.Where(t => t.Kind != TaskKind.ToolCall), t => Assert.StartsWith("```" + t.Language + "\n", t.Answer));
        Assert.All(corpus.Train.Where(t => t.Kind == TaskKind.ToolCall), t => Assert.Matches("^<tool_call>\\{\"name\": \"\\w+\", \"arguments\": \\{.*\\}\\}</tool_call>$", t.Answer));
        Assert.All(corpus.Train.Where(t => t.Kind == TaskKind.Refinement), t => Assert.Contains("My previous attempt:", t.Instruction));
    }

    [Fact]
    public void Reference_answers_pass_their_own_checks()
    {
        // One instance per template, seen and unseen; Python and node run as plain processes.
        var corpus = CorpusBuilder.Build(Small with { HeldOutSeenCount = 200, UnseenCount = 60 });
        var perTemplate = corpus.HeldOutSeen.Concat(corpus.Unseen).GroupBy(t => t.TemplateId).Select(g => g.First()).ToList();
        Assert.True(perTemplate.Count >= 40, $"only {perTemplate.Count} templates drawn");
        foreach (var task in perTemplate)
        {
            var result = TestRunner.Check(task, task.Answer);
            Assert.True(result.Passed, $"{task.TemplateId}: {result.Output}");
        }
    }

    [Fact]
    public void A_broken_attempt_fails_its_tests()
    {
        var random = new Random(3);
        foreach (var template in PythonTemplates.Seen.Take(8))
        {
            var instance = template.Draw(random);
            var (code, _) = Refinement.Break(instance, random);
            Assert.NotEqual(instance.Solution, code);
        }
    }
}
