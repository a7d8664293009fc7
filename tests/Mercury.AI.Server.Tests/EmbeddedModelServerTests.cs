using System.ClientModel;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace Mercury.AI.Server.Tests;

/// <summary>The server as shipped: no chat client given, so it loads the embedded model and decodes on the real engine.</summary>
public sealed class EmbeddedModelServerTests
{
    [Fact]
    public async Task The_default_server_serves_the_embedded_model_to_the_OpenAI_client_and_streams_its_canvas()
    {
        await using var server = await ServerHost.StartAsync(null, o => o.Device = "cpu");
        var models = JsonNode.Parse(await server.Client.GetStringAsync("v1/models"))!;
        string model = (string)models["data"]![0]!["id"]!;
        Assert.Equal("mercury-coder-tiny", model);

        var client = new ChatClient(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Write a Python function count_vowels(s) that returns the number of vowels in s.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 48, Temperature = 0 });
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 48);

        // diffusing: one canvas per step, 32 tokens in one block at one token per step.
        using var response = await server.Client.PostAsync("v1/chat/completions", WireFormatTests.Json($$"""
            {"model": "{{model}}", "messages": [{"role": "user", "content": "Write a Python function is_even(n)."}],
             "max_tokens": 32, "block_length": 32, "stream": true, "diffusing": true}
            """));
        var chunks = WireFormatTests.Events(await response.Content.ReadAsStringAsync())[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        var steps = chunks.Where(c => c["diffusion"]?["step"] is not null).ToList();
        Assert.InRange(steps.Count, 2, 32);
        Assert.Contains("░", (string)steps[0]["choices"]![0]!["delta"]!["content"]!);
        Assert.Equal(0, (int)steps[^1]["diffusion"]!["masked"]!);
    }
}
