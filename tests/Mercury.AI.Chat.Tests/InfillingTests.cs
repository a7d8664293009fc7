using Mercury.AI.Engine.Decoding;

namespace Mercury.AI.Chat.Tests;

public class InfillingTests
{
    [Fact]
    public async Task Infilling_sends_prefix_and_suffix_around_a_masked_middle()
    {
        var backend = new ScriptedBackend(_ => "return a + b;");
        using var client = ScriptedBackend.Client(backend);
        var result = await client.InfillAsync("int Add(int a, int b) {\n    ", "\n}\n", new InfillOptions { MaxMiddleTokens = 24, Seed = 3 });

        Assert.Equal("return a + b;", result.Middle);
        Assert.True(result.EndedEarly);
        var request = Assert.Single(backend.Requests);
        Assert.Equal("int Add(int a, int b) {\n    ", backend.Tokenizer.Decode(request.PromptTokens));
        Assert.Equal("\n}\n", backend.Tokenizer.Decode(request.SuffixTokens!));
        Assert.Equal(24, request.MaxNewTokens);
        Assert.Equal(3, request.Options.Seed);
    }

    [Fact]
    public async Task Streaming_infill_yields_the_middle_in_order()
    {
        using var client = ScriptedBackend.Client(_ => "first second third fourth");
        var parts = new List<string>();
        await foreach (string part in client.InfillStreamingAsync("x = ", ";", new InfillOptions { MaxMiddleTokens = 24 })) parts.Add(part);
        Assert.True(parts.Count > 1);
        Assert.Equal("first second third fourth", string.Concat(parts));
    }

    [Fact]
    public async Task Infilling_on_a_real_checkpoint_fills_exactly_the_middle_of_the_canvas()
    {
        using var client = DiffusionChatClient.Load(RealModel.Options("llada-tiny"));
        var result = await client.InfillAsync("a b c", "x y z", new InfillOptions { MaxMiddleTokens = 6 });
        Assert.InRange(result.Tokens.Count, 0, 6);
        Assert.True(result.ForwardCalls > 0);
    }

    [Fact]
    public async Task Invalid_infill_length_is_rejected()
    {
        using var client = ScriptedBackend.Client(_ => "");
        await Assert.ThrowsAsync<ArgumentException>(() => client.InfillAsync("a", "b", new InfillOptions { MaxMiddleTokens = 0 }));
    }
}
