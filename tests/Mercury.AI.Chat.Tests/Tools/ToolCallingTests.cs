using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.Tools;

public class ToolCallingTests
{
    private static readonly AIFunction Weather = AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather", "Gets the weather.");

    private static ChatOptions WithTools() => new() { Tools = [Weather], MaxOutputTokens = 256 };

    [Fact]
    public async Task A_tool_call_block_becomes_a_function_call_with_tool_calls_finish_reason()
    {
        using var client = ScriptedBackend.Client(_ => "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
        var response = await client.GetResponseAsync("Weather in Paris?", WithTools());

        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.StartsWith("call_", call.CallId);
        Assert.Null(call.Exception);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal("", response.Text);
    }

    [Fact]
    public async Task Several_calls_get_distinct_ids_and_text_around_them_is_kept()
    {
        using var client = ScriptedBackend.Client(_ =>
            "Checking both.\n<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>\n" +
            "<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Rome\\\"}\"}</tool_call>");
        var response = await client.GetResponseAsync("Paris and Rome?", WithTools());

        var calls = response.Messages[0].Contents.OfType<FunctionCallContent>().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Null(calls[1].Exception);
        Assert.NotEqual(calls[0].CallId, calls[1].CallId);
        Assert.Equal("Rome", ((JsonElement)calls[1].Arguments!["city"]!).GetString()); // arguments written as a JSON string
        Assert.Equal("Checking both.", response.Text);
    }

    [Theory]
    [InlineData("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": </tool_call>")]
    [InlineData("<tool_call>[1, 2]</tool_call>")]
    [InlineData("<tool_call>{\"arguments\": {}}</tool_call>")]
    [InlineData("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par")]
    public async Task Malformed_tool_json_becomes_a_function_call_carrying_its_exception(string answer)
    {
        using var client = ScriptedBackend.Client(_ => answer);
        var response = await client.GetResponseAsync("?", WithTools());
        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.NotNull(call.Exception);
        Assert.Contains("malformed tool call", call.Exception.Message);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task Without_tools_a_tool_call_block_is_plain_text()
    {
        using var client = ScriptedBackend.Client(_ => "<tool_call>{\"name\": \"x\"}</tool_call>");
        var response = await client.GetResponseAsync("?");
        Assert.Empty(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Tool_mode_none_leaves_the_tools_out_of_the_prompt()
    {
        var backend = new ScriptedBackend(_ => "ok");
        using var client = ScriptedBackend.Client(backend);
        await client.GetResponseAsync("?", new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.None });
        Assert.DoesNotContain("<tools>", Assert.Single(backend.Prompts));
    }

    [Fact]
    public async Task Function_invocation_round_trip_calls_the_tool_and_feeds_the_result_back()
    {
        var backend = new ScriptedBackend(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? "It is sunny in Paris."
            : "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
        using var inner = ScriptedBackend.Client(backend);
        using var client = inner.AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("Weather in Paris?", WithTools());

        Assert.Equal("It is sunny in Paris.", response.Text);
        var prompts = backend.Prompts.ToArray();
        Assert.Equal(2, prompts.Length);
        Assert.Contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call><|im_end|>\n", prompts[1]);
        Assert.Contains("<|im_start|>user\n<tool_response>\nSunny in Paris\n</tool_response><|im_end|>\n<|im_start|>assistant\n", prompts[1]);
    }

    [Fact]
    public async Task Streaming_holds_back_the_tool_call_markup_and_ends_with_the_call()
    {
        using var client = ScriptedBackend.Client(_ => "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>");
        var updates = await client.GetStreamingResponseAsync("Oslo?", WithTools()).ToListAsync();

        Assert.DoesNotContain(updates, u => u.Text.Contains('<'));
        Assert.Equal("Let me check.", string.Concat(updates.Select(u => u.Text)).Trim());
        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
    }

    [Fact]
    public async Task Streaming_function_invocation_round_trip_works()
    {
        var backend = new ScriptedBackend(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? "Sunny."
            : "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>");
        using var client = ScriptedBackend.Client(backend).AsBuilder().UseFunctionInvocation().Build();
        var updates = await client.GetStreamingResponseAsync("Oslo?", WithTools()).ToListAsync();
        Assert.EndsWith("Sunny.", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(2, backend.Prompts.Count);
    }

    [Fact]
    public async Task Allow_multiple_tool_calls_false_keeps_only_the_first_call()
    {
        using var client = ScriptedBackend.Client(_ =>
            "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"A\"}}</tool_call><tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"B\"}}</tool_call>");
        var options = WithTools();
        options.AllowMultipleToolCalls = false;
        var response = await client.GetResponseAsync("?", options);
        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Equal("A", ((JsonElement)call.Arguments!["city"]!).GetString());
    }
}
