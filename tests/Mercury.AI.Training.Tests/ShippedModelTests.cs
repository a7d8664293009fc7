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

    /// <summary>A held-out instance (never in training) of a seen template, from the default corpus (seed 1234);
    /// the id is one the model card's evaluation reports as passed. Greedy decoding, fixed seed: deterministic.</summary>
    public const string HeldOutTaskId = "heldoutseen-00006"; // py.merge_dicts

    [Fact]
    public void Shipped_model_writes_a_seen_template_function_that_passes_its_tests()
    {
        string folder = EmbeddedModel.Locate();
        using var model = ModelLoader.Load(folder);
        var tokenizer = HuggingFaceTokenizer.FromFile(folder);
        var task = CorpusBuilder.Build(new CorpusOptions { TrainCount = 0, UnseenCount = 0 }).HeldOutSeen.Single(t => t.Id == HeldOutTaskId);
        Assert.True(task.Kind is TaskKind.Python or TaskKind.JavaScript);
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
