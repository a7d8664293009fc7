using System.ClientModel;
using Mercury.AI.Chat.Tests;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using MEAI = Microsoft.Extensions.AI;

namespace Mercury.AI.Server.Tests;

/// <summary>The official OpenAI .NET client and Microsoft.Extensions.AI.OpenAI's IChatClient, unchanged, against the server.</summary>
public sealed class OpenAIClientTests
{
    private const string WeatherCall = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

    /// <summary>Answers with a tool call until the prompt holds a tool result, then with text that quotes it.</summary>
    private static string Script(string prompt) =>
        prompt.Contains("18 C", StringComparison.Ordinal) ? "It is 18 C in Paris." : prompt.Contains("get_weather", StringComparison.Ordinal) ? WeatherCall : "Hello there, friend.";

    private static ChatClient OpenAIChat(ServerHost server, string apiKey = "unused") =>
        new(WireFormatTests.Model, new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    [Fact]
    public async Task OpenAI_client_plain_completion()
    {
        await using var server = await WireFormatTests.StartScripted(Script, o => o.ApiKey = "sk-test");
        ChatCompletion completion = await OpenAIChat(server, "sk-test").CompleteChatAsync([new UserChatMessage("Say hello")]);
        Assert.Equal("Hello there, friend.", completion.Content[0].Text);
        Assert.Equal(global::OpenAI.Chat.ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task OpenAI_client_streaming()
    {
        await using var server = await WireFormatTests.StartScripted(Script);
        var text = new System.Text.StringBuilder();
        int updates = 0;
        await foreach (var update in OpenAIChat(server).CompleteChatStreamingAsync([new UserChatMessage("Say hello")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            updates++;
        }
        Assert.Equal("Hello there, friend.", text.ToString());
        Assert.True(updates > 2);
    }

    [Fact]
    public async Task OpenAI_client_tool_call_round_trip()
    {
        await using var server = await WireFormatTests.StartScripted(Script);
        var client = OpenAIChat(server);
        var tool = ChatTool.CreateFunctionTool("get_weather", "Current weather in a city",
            BinaryData.FromString("""{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { tool } };
        List<global::OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("What is the weather in Paris?")];

        ChatCompletion first = await client.CompleteChatAsync(messages, options);
        Assert.Equal(global::OpenAI.Chat.ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", System.Text.Json.JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "18 C, sunny"));
        ChatCompletion second = await client.CompleteChatAsync(messages, options);
        Assert.Equal("It is 18 C in Paris.", second.Content[0].Text);
    }

    [Fact]
    public async Task OpenAI_client_surfaces_server_errors()
    {
        await using var server = await WireFormatTests.StartScripted(Script, o => o.ApiKey = "sk-test");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => OpenAIChat(server, "sk-wrong").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, e.Status);
        Assert.Contains("Incorrect API key", e.Message);
    }

    [Fact]
    public async Task MEAI_OpenAI_chat_client_plain_streaming_and_tools()
    {
        await using var server = await WireFormatTests.StartScripted(Script);
        IChatClient client = OpenAIChat(server).AsIChatClient();

        var response = await client.GetResponseAsync("Say hello");
        Assert.Equal("Hello there, friend.", response.Text);

        var streamed = await client.GetStreamingResponseAsync("Say hello").ToChatResponseAsync();
        Assert.Equal("Hello there, friend.", streamed.Text);

        // Function invocation runs in the caller: the server asks for the tool, the client runs it and asks again.
        int invoked = 0;
        var weather = AIFunctionFactory.Create((string city) => { invoked++; return $"18 C in {city}"; }, "get_weather", "Current weather in a city");
        using var withTools = new ChatClientBuilder(client).UseFunctionInvocation().Build();
        var answer = await withTools.GetResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [weather] });
        Assert.Equal(1, invoked);
        Assert.Equal("It is 18 C in Paris.", answer.Text);

        // Streaming tool calls too.
        invoked = 0;
        var streamedAnswer = await withTools.GetStreamingResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [weather] }).ToChatResponseAsync();
        Assert.Equal(1, invoked);
        Assert.EndsWith("It is 18 C in Paris.", streamedAnswer.Text);
    }

    [Fact]
    public async Task MEAI_OpenAI_client_json_schema_response_format()
    {
        string? prompt = null;
        await using var server = await WireFormatTests.StartScripted(p => { prompt = p; return "\"city\": \"Paris\", \"celsius\": 18}"; }); // "{" is prefilled
        IChatClient client = OpenAIChat(server).AsIChatClient();
        var response = await client.GetResponseAsync<Weather>("Weather in Paris as JSON");
        Assert.Equal("Paris", response.Result.City);
        Assert.Equal(18, response.Result.Celsius);
        Assert.Contains("celsius", prompt); // the schema reached the model
    }

    public sealed record Weather(string City, int Celsius);
}
