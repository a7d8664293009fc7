using Mercury.AI.Engine;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Evaluation;

namespace Mercury.AI.Training.Tests;

/// <summary>The model shipped in models/mercury-coder-tiny: loads through the normal loader and solves a seen-template task.</summary>
public class ShippedModelTests
{
    [Fact]
    public void Shipped_model_is_a_small_sharded_llada_checkpoint()
    {
        string folder = EmbeddedModel.Locate();
        var files = Directory.GetFiles(folder);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length < 16L << 20, $"{f} is over 16 MiB"));
        Assert.True(files.Sum(f => new FileInfo(f).Length) < 64L << 20);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        var config = ModelConfig.FromFile(Path.Combine(folder, "config.json"));
        Assert.Equal(ModelArchitecture.LLaDA, config.Architecture);
        var tokenizer = HuggingFaceTokenizer.FromFile(folder);
        Assert.Equal(tokenizer.TokenToId(ChatFormat.Mask), config.MaskTokenId);
        Assert.Contains(tokenizer.TokenToId(ChatFormat.EndOfText)!.Value, config.EndTokenIds);
        Assert.Contains(tokenizer.TokenToId(ChatFormat.ImEnd)!.Value, config.EndTokenIds);
    }

    [Fact]
    public void Shipped_model_writes_a_seen_template_function_that_passes_its_tests()
    {
        string folder = EmbeddedModel.Locate();
        using var model = ModelLoader.Load(folder);
        var tokenizer = HuggingFaceTokenizer.FromFile(folder);
        // A held-out instance (never in training) of a seen template; deterministic: greedy, fixed seed.
        var instance = PythonTemplates.Seen.Single(t => t.Id == "py.reverse_string").Draw(new Random(2024));
        var task = new CodingTask
        {
            Id = "shipped", TemplateId = instance.Template.Id, Kind = TaskKind.Python, Language = "python", System = ChatFormat.CoderSystem,
            Instruction = instance.Instruction, Answer = "", Solution = instance.Solution, Tests = instance.Tests(),
        };
        var result = new DiffusionGenerator(model, tokenizer).Generate(new GenerationRequest
        {
            PromptTokens = tokenizer.Encode(ChatFormat.Prompt(task.System, task.Instruction)),
            MaxNewTokens = Evaluator.GenerationLength(task),
            Options = new DiffusionOptions { Seed = 0 },
        });
        var check = TestRunner.Check(task, result.Text!);
        Assert.True(check.Passed, $"{task.Instruction}\n---\n{result.Text}\n---\n{check.Output}");
    }
}
