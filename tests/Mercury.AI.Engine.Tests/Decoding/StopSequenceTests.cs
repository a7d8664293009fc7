using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Tokenization;

namespace Mercury.AI.Engine.Tests.Decoding;

/// <summary>Stop strings cut the answer at the earliest one, however the step loop happens to finalize it.</summary>
public class StopSequenceTests
{
    private const string Header = "<|im_start|>assistant\n";
    private const string Answer = "def add(a, b):\n    return a + b\n```\nThat adds them.";

    private static readonly HuggingFaceTokenizer Tokenizer = HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"));

    private static GenerationRequest Request(UnmaskingPolicy policy, params string[] stops) => new()
    {
        PromptTokens = Tokenizer.Encode("<|im_start|>user\nadd<|im_end|>\n" + Header),
        MaxNewTokens = 48,
        StopSequences = stops,
        Options = new DiffusionOptions { Policy = policy, BlockLength = 48 },
    };

    [Fact]
    public void A_stop_string_final_in_the_same_step_as_the_end_token_still_cuts_the_answer()
    {
        using var model = new ScriptedModel(Tokenizer, Header, _ => Answer);
        var result = new DiffusionGenerator(model, Tokenizer).Generate(Request(new ConfidenceThresholdRemasking(0.9), "return"));

        Assert.Equal(1, result.ForwardCalls); // the whole answer, stop string and end token alike, became final in one step
        Assert.Equal("def add(a, b):\n    ", result.Text);
        Assert.Equal(DiffusionFinishReason.Stop, result.FinishReason);
    }

    [Theory]
    [InlineData("\n```", "def add(a, b):\n    return a + b")]
    [InlineData("them", "def add(a, b):\n    return a + b\n```\nThat adds ")]
    [InlineData("not in the answer", Answer)]
    public void The_earliest_stop_string_wins_whatever_the_policy(string stop, string expected)
    {
        foreach (var policy in new UnmaskingPolicy[] { new ConfidenceThresholdRemasking(0.9), new LowConfidenceRemasking() })
        {
            using var model = new ScriptedModel(Tokenizer, Header, _ => Answer);
            var result = new DiffusionGenerator(model, Tokenizer).Generate(Request(policy, "zzz", stop));
            Assert.Equal(expected, result.Text);
            Assert.Equal(DiffusionFinishReason.Stop, result.FinishReason);
        }
    }

    [Fact]
    public void An_end_token_before_a_later_stop_string_ends_the_answer_at_the_end_token()
    {
        using var model = new ScriptedModel(Tokenizer, Header, _ => "short");
        var result = new DiffusionGenerator(model, Tokenizer).Generate(Request(new ConfidenceThresholdRemasking(0.9), "return"));
        Assert.Equal("short", result.Text);
        Assert.Equal(DiffusionFinishReason.Stop, result.FinishReason);
    }
}
