using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

/// <summary>What every <see cref="IChatClient"/> of this provider owes its callers, whatever model is behind it.</summary>
public abstract class ChatClientConformanceTests : IDisposable
{
    private readonly Lazy<IChatClient> _client;

    protected ChatClientConformanceTests() => _client = new(CreateClient);

    protected IChatClient Client => _client.Value;

    protected abstract IChatClient CreateClient();

    protected abstract string Prompt { get; }

    [Fact]
    public async Task Answers_as_the_assistant_with_ids_and_usage()
    {
        var response = await Client.GetResponseAsync(Prompt, new ChatOptions { MaxOutputTokens = 8 });
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.NotNull(response.ResponseId);
        Assert.NotNull(response.FinishReason);
        Assert.True(response.Usage!.InputTokenCount > 0);
        Assert.InRange(response.Usage.OutputTokenCount!.Value, 0, 8);
    }

    [Fact]
    public async Task Streaming_and_non_streaming_agree()
    {
        var options = new ChatOptions { MaxOutputTokens = 8 };
        var whole = await Client.GetResponseAsync(Prompt, options);
        var streamed = await Client.GetStreamingResponseAsync(Prompt, options).ToListAsync();
        Assert.Equal(whole.Text, streamed.ToChatResponse().Text);
    }

    [Fact]
    public async Task An_already_cancelled_token_is_honoured()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.GetResponseAsync(Prompt, cancellationToken: new CancellationToken(true)));
    }

    [Fact]
    public async Task Null_messages_are_rejected()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.GetResponseAsync((IEnumerable<ChatMessage>)null!));
    }

    [Fact]
    public void Metadata_names_the_provider_and_model()
    {
        var metadata = Client.GetService<ChatClientMetadata>();
        Assert.Equal("mercury-diffusion", metadata?.ProviderName);
        Assert.False(string.IsNullOrEmpty(metadata?.DefaultModelId));
    }

    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class ScriptedConformanceTests : ChatClientConformanceTests
{
    protected override string Prompt => "Hello";

    protected override IChatClient CreateClient() => ScriptedBackend.Client(p => $"You said {p.Length} characters.");
}

public sealed class LLaDAFixtureConformanceTests : ChatClientConformanceTests
{
    protected override string Prompt => RealModel.Prompts(1)[0];

    protected override IChatClient CreateClient() => DiffusionChatClient.Load(RealModel.Options("llada-tiny"));
}

public sealed class DreamFixtureConformanceTests : ChatClientConformanceTests
{
    protected override string Prompt => RealModel.Prompts(1)[0];

    protected override IChatClient CreateClient() => DiffusionChatClient.Load(RealModel.Options("dream-tiny"));
}
