using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Corpus.Pages;
using Mercury.AI.Training.Corpus.Programs;

namespace Mercury.AI.Training.Tests.Corpus;

public class CorpusBuilderTests
{
    [Fact]
    public async Task Same_seed_builds_the_same_corpus()
    {
        var options = SmallWorld.Options with { Refinements = 0 };
        var a = await new CorpusBuilder(options, TextWriter.Null).BuildAsync();
        var b = await new CorpusBuilder(options, TextWriter.Null).BuildAsync();
        Assert.Equal(Json(a.Train), Json(b.Train));
        Assert.Equal(Json(a.HeldOutSeen), Json(b.HeldOutSeen));
        Assert.Equal(Json(a.Unseen), Json(b.Unseen));
        var c = await new CorpusBuilder(options with { Seed = 8 }, TextWriter.Null).BuildAsync();
        Assert.NotEqual(a.Train.Select(t => t.Instruction), c.Train.Select(t => t.Instruction));
    }

    private static string Json(IEnumerable<CorpusExample> examples) => System.Text.Json.JsonSerializer.Serialize(examples);

    [Fact]
    public void Unseen_compositions_and_tools_and_evaluation_instructions_never_reach_training()
    {
        var corpus = SmallWorld.Corpus;
        var unseen = corpus.Unseen.Select(e => e.Composition).ToHashSet();
        Assert.DoesNotContain(corpus.Train, e => unseen.Contains(e.Composition));
        Assert.All(corpus.Unseen.Where(e => e.Kind == ExampleKind.Function), e => Assert.True(CorpusBuilder.IsUnseen(e.Composition, 12)));
        Assert.DoesNotContain(corpus.Train, e => e.TargetTool is { } t && Mercury.AI.Training.Corpus.Tools.ToolCatalog.HeldOut.Contains(t));
        var evaluated = corpus.HeldOutSeen.Concat(corpus.Unseen).Where(e => !CorpusBuilder.Demos.Any(d => d.Instruction == e.Instruction)).Select(e => e.Instruction).ToHashSet();
        Assert.DoesNotContain(corpus.Train, e => evaluated.Contains(e.Instruction) && e.Kind != ExampleKind.ToolAnswer && e.Kind != ExampleKind.ToolCall);
        Assert.All(CorpusBuilder.Demos, d => Assert.Contains(corpus.HeldOutSeen, e => e.Instruction == d.Instruction));
    }

    [Fact]
    public void Training_mixes_every_kind_in_the_chat_answer_shapes()
    {
        var corpus = SmallWorld.Corpus;
        Assert.Equal(Enum.GetValues<ExampleKind>().Order(), corpus.Train.Select(e => e.Kind).Distinct().Order());
        Assert.Equal(["csharp", "javascript", "python"], corpus.Train.Where(e => e.Kind == ExampleKind.Function).Select(e => e.Language).Distinct().Order());
        Assert.All(corpus.Train.Where(e => e.Kind is ExampleKind.Function or ExampleKind.Page or ExampleKind.Refinement),
            e => Assert.StartsWith("```" + e.Language + "\n", e.Answer));
        Assert.All(corpus.Train.Where(e => e.Kind == ExampleKind.ToolCall),
            e => Assert.Matches("^<tool_call>\n\\{\"name\": \"\\w+\", \"arguments\": \\{.*\\}\\}\n</tool_call>$", e.Answer));
        Assert.Contains(corpus.Train, e => e.ToolStack == "SemanticKernel" && e.Answer.Contains("\"name\": \"", StringComparison.Ordinal) && e.ExpectedName!.Contains('_'));
        Assert.All(corpus.Train.Where(e => e.Kind == ExampleKind.ToolAnswer), e => Assert.Contains("<tool_response>", e.Prompt));
        Assert.All(corpus.Train.Where(e => e.Kind == ExampleKind.Refinement), e => Assert.Contains("It fails the tests:", e.Prompt));
        // Every prompt is a full ChatML conversation ending where the model writes.
        Assert.All(corpus.Train, e => Assert.EndsWith("<|im_start|>assistant\n", e.Prompt));
    }

    [Fact]
    public async Task Reference_answers_pass_their_own_tests_in_the_sandboxed_runners()
    {
        var runners = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()));
        var corpus = SmallWorld.Corpus;
        // Python and JavaScript, seen and unseen (C# builds take tens of seconds each: one instance).
        var picked = corpus.HeldOutSeen.Concat(corpus.Unseen).Where(e => e.Kind == ExampleKind.Function && e.Language != "csharp").Take(10)
            .Append(corpus.Unseen.First(e => e.Kind == ExampleKind.Function && e.Language == "csharp"))
            .Append(corpus.HeldOutSeen.First(e => e.Kind == ExampleKind.Page));
        string work = Directory.CreateTempSubdirectory("mercury-corpus-test-").FullName;
        try
        {
            foreach (var example in picked)
            {
                var result = await runners.Get(example.Language).RunAsync(ChatFormat.ExtractCode(example.Answer), [.. example.Tests, .. example.HiddenTests],
                    Path.Combine(work, example.Id));
                Assert.True(result.Passed, $"{example.Composition}\n{example.Answer}\n{string.Join("\n", result.Tests.Select(t => t.Message))}");
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [Fact]
    public void Mutations_change_the_code()
    {
        var r = new Random(3);
        int mutated = 0;
        for (int i = 0; i < 200; i++)
        {
            if (FunctionTasks.DrawProgram(r) is not Pipeline program) continue;
            if (program.Mutate(r) is not { } wrong) continue;
            Assert.NotEqual(program.Code(Lang.Python, "f", "C", false), wrong.Code(Lang.Python, "f", "C", false));
            mutated++;
        }
        Assert.True(mutated > 50);
    }

    [Fact]
    public void Demo_pages_are_built_from_their_components()
    {
        foreach (var (instruction, components) in CorpusBuilder.Demos)
        {
            var page = PageBuilder.Make(components.Select(c => PageComponents.All.Single(x => x.Id == c)).ToList(), new Random(1), instruction, nameIds: false);
            Assert.Equal(instruction, page.Instruction);
            Assert.Contains("<script>", page.Page);
            Assert.Contains("test(", page.Tests.Content);
        }
    }
}
