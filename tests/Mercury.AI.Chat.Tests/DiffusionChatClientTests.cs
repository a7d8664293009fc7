using Mercury.AI.Chat.Templates;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

public class DiffusionChatClientTests
{
    [Fact]
    public async Task Response_carries_text_finish_reason_usage_and_ids()
    {
        var backend = new ScriptedBackend(_ => "Hello there");
        using var client = ScriptedBackend.Client(backend);
        var before = DateTimeOffset.UtcNow;
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { MaxOutputTokens = 16 });

        Assert.Equal("Hello there", response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("scripted-model", response.ModelId);
        Assert.False(string.IsNullOrEmpty(response.ResponseId));
        Assert.False(string.IsNullOrEmpty(response.Messages[0].MessageId));
        Assert.InRange(response.CreatedAt!.Value, before, DateTimeOffset.UtcNow);
        var request = Assert.Single(backend.Requests);
        Assert.Equal(request.PromptTokens.Count, response.Usage!.InputTokenCount);
        Assert.Equal(backend.Tokenizer.Encode("Hello there").Count, response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", Assert.Single(backend.Prompts));
    }

    [Fact]
    public async Task Answer_that_fills_the_canvas_finishes_with_length()
    {
        using var client = ScriptedBackend.Client(_ => string.Concat(Enumerable.Repeat("word ", 50)));
        var response = await client.GetResponseAsync("go", new ChatOptions { MaxOutputTokens = 8 });
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public async Task System_prompt_instructions_and_history_reach_the_model()
    {
        var backend = new ScriptedBackend(_ => "ok");
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { DefaultSystemPrompt = "Be brief." });
        await client.GetResponseAsync([new(ChatRole.User, "a"), new(ChatRole.Assistant, "b"), new(ChatRole.User, "c")], new ChatOptions { Instructions = "Use French." });
        Assert.Equal(
            "<|im_start|>system\nBe brief.\n\nUse French.<|im_end|>\n<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n",
            Assert.Single(backend.Prompts));
    }

    [Fact]
    public async Task Template_can_be_overridden_in_options()
    {
        var backend = new ScriptedBackend(_ => "ok");
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { Template = ChatTemplateKind.LLaDA });
        await client.GetResponseAsync("hi");
        Assert.StartsWith("<|startoftext|><|start_header_id|>user", Assert.Single(backend.Prompts));
        Assert.IsType<LLaDAChatTemplate>(client.GetService<ChatTemplate>());
    }

    [Fact]
    public void GetService_returns_metadata_and_the_engine_objects()
    {
        var backend = new ScriptedBackend(_ => "ok");
        using var client = ScriptedBackend.Client(backend);
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.Equal("mercury-diffusion", metadata!.ProviderName);
        Assert.Equal("scripted-model", metadata.DefaultModelId);
        Assert.Same(client, client.GetService<DiffusionChatClient>());
        Assert.Same(backend.Tokenizer, client.GetService<HuggingFaceTokenizer>());
        Assert.Same(backend.Config, client.GetService<ModelConfig>());
        Assert.Null(client.GetService<ChatClientMetadata>("some key"));
        Assert.Null(client.GetService<DiffusionGenerator>()); // the scripted seam has none
    }

    [Fact]
    public async Task Calls_after_dispose_fail_with_object_disposed()
    {
        var client = ScriptedBackend.Client(_ => "ok");
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync("hi"));
    }
}

public class TokenizerMismatchTests
{
    [Fact]
    public async Task A_tokenizer_with_ids_beyond_the_model_vocabulary_fails_with_a_clear_error()
    {
        var backend = new ScriptedBackend(_ => "ok") { Config = new ScriptedBackend(_ => "").Config with { VocabSize = 8 } };
        using var client = ScriptedBackend.Client(backend);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("hello world"));
        Assert.Contains("does not match the checkpoint", e.Message);
    }
}
