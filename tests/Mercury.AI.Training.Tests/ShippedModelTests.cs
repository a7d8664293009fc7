using Mercury.AI.Chat;
using Mercury.AI.Engine;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Corpus.Tools;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Tests;

/// <summary>The model shipped in models/mercury-coder-tiny (still v1: see its model card), and that a model folder carrying
/// the v2 recipe is prompted by the client exactly as the v2 corpus was rendered.</summary>
public class ShippedModelTests
{
    [Fact]
    public void Shipped_model_is_a_small_sharded_llada_checkpoint_that_carries_its_prompt_format()
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
        // The system prompt it was trained with travels in the folder, not in constants of the layers that prompt it.
        Assert.False(string.IsNullOrWhiteSpace(GenerationConfig.Load(folder).SystemPrompt));
    }

    /// <summary>What the client sends a model trained on the v2 corpus (its folder carries the recipe's
    /// generation_config.json, as the exporter writes it), for a code request and for the call turn of both tool
    /// stacks, is byte for byte what the corpus trained it on.</summary>
    [Fact]
    public async Task The_client_renders_requests_exactly_as_the_corpus_did()
    {
        using var folder = new TempModelFolder(EmbeddedModel.Locate());
        File.Copy(ChatFormat.RecipeFile, Path.Combine(folder.Path, GenerationConfig.FileName), overwrite: true);
        using var client = DiffusionChatClient.Load(new DiffusionChatClientOptions { ModelPath = folder.Path, Device = "cpu" });
        var template = ChatFormat.Template(ChatFormat.Recipe);
        var request = "Write a Python function `f(nums)` that returns the sum of the even numbers in `nums`.";
        Assert.Equal(DiffusionChatClient.RenderPrompt(template, [new ChatMessage(ChatRole.User, request)]), client.RenderPrompt([new ChatMessage(ChatRole.User, request)]));

        var declared = ToolCatalog.All.Where(t => !ToolCatalog.HeldOut.Contains(t.Name)).Take(5).ToList();
        foreach (var stack in Enum.GetValues<ToolStack>())
        {
            // The corpus records what the stack sends; the same stack over the real client must send the same text.
            var interaction = await ToolTasks.PlayAsync(declared[2], declared, stack, new Random(5));
            string corpusPrompt = DiffusionChatClient.RenderPrompt(template, interaction.CallTurn.Messages, interaction.CallTurn.Options);
            Assert.Equal(corpusPrompt, client.RenderPrompt(interaction.CallTurn.Messages, interaction.CallTurn.Options));
            Assert.Contains("# Tools\n", corpusPrompt);
            Assert.Contains(ToolTasks.CallName(declared[2], stack) + "(", corpusPrompt);
        }
    }

    /// <summary>A copy of a model folder (its files, not its weights' contents changed) to point a client at.</summary>
    private sealed class TempModelFolder : IDisposable
    {
        public TempModelFolder(string source)
        {
            Path = Directory.CreateTempSubdirectory("mercury-model-").FullName;
            foreach (var file in Directory.GetFiles(source)) File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
