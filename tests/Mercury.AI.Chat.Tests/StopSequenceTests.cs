using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Tests.Decoding;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

/// <summary>ChatOptions.StopSequences through the real step loop (a scripted model): the text ends where the earliest
/// stop string starts, streamed and not, also when it becomes final in the same step as the end token.</summary>
public class StopSequenceTests
{
    private const string Answer = "def add(a, b):\n    return a + b\n```\nThat adds them.";

    private static DiffusionChatClient Client(DiffusionAlgorithm algorithm)
    {
        var tokenizer = HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"));
        var model = new ScriptedModel(tokenizer, "<|im_start|>assistant\n", _ => Answer);
        return new DiffusionChatClient(new DiffusionGenerator(model, tokenizer), new DiffusionChatClientOptions
        {
            Diffusion = new DiffusionChatOptions { Algorithm = algorithm, Threshold = algorithm == DiffusionAlgorithm.ConfidenceThreshold ? 0.9 : null, BlockLength = 64 },
        });
    }

    [Theory]
    [InlineData(DiffusionAlgorithm.ConfidenceThreshold, "return", "def add(a, b):\n    ")]
    [InlineData(DiffusionAlgorithm.ConfidenceThreshold, "\n```", "def add(a, b):\n    return a + b")]
    [InlineData(DiffusionAlgorithm.LowConfidence, "\n```", "def add(a, b):\n    return a + b")]
    [InlineData(DiffusionAlgorithm.ConfidenceThreshold, "m.", "def add(a, b):\n    return a + b\n```\nThat adds the")]
    public async Task Text_ends_at_the_earliest_stop_string_streamed_and_not(DiffusionAlgorithm algorithm, string stop, string expected)
    {
        using var client = Client(algorithm);
        var options = new ChatOptions { MaxOutputTokens = 48, StopSequences = ["never", stop] };

        var response = await client.GetResponseAsync("add", options);
        var updates = await client.GetStreamingResponseAsync("add", options).ToListAsync();

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(expected, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal(["never", stop], options.StopSequences); // the caller's list is left alone
    }
}
