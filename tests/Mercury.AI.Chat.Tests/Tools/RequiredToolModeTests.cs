using System.Text.Json;
using Mercury.AI.Chat.Tools;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.Tools;

/// <summary>ChatToolMode.RequireAny / RequireSpecific: the answer is always a call (of the required function), with
/// arguments that parse and fit its schema, whatever the model writes.</summary>
public class RequiredToolModeTests
{
    private static readonly AIFunction Weather = AIFunctionFactory.Create((string city, int days) => $"Sunny in {city} for {days} days", "get_weather", "Gets the weather.");
    private static readonly AIFunction Time = AIFunctionFactory.Create((string zone) => $"12:00 in {zone}", "get_time", "Gets the time.");
    private static readonly AIFunction Launch = AIFunctionFactory.Create(() => "launched", "launch", "Launches.");

    private static ChatOptions Require(ChatToolMode mode, params AITool[] tools) => new() { Tools = tools, ToolMode = mode, MaxOutputTokens = 96 };

    private static FunctionCallContent SingleCall(ChatResponse response)
    {
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Null(call.Exception);
        return call;
    }

    [Fact]
    public async Task RequireSpecific_calls_that_function_even_when_the_model_writes_prose()
    {
        var backend = new ScriptedBackend(_ => "I would rather chat about the weather.");
        using var client = ScriptedBackend.Client(backend);
        var call = SingleCall(await client.GetResponseAsync("Hi", Require(ChatToolMode.RequireSpecific("get_time"), Weather, Time)));

        Assert.Equal("get_time", call.Name);
        Assert.Equal(JsonValueKind.String, ((JsonElement)call.Arguments!["zone"]!).ValueKind);
        string first = backend.Prompts.First();
        Assert.Contains("You must call the function get_time.", first);
        Assert.EndsWith("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": ", first);
    }

    [Fact]
    public async Task A_valid_call_written_freely_costs_one_generation()
    {
        var backend = new ScriptedBackend(_ => "{\"city\": \"Oslo\", \"days\": 3}}\n</tool_call>");
        using var client = ScriptedBackend.Client(backend);
        var call = SingleCall(await client.GetResponseAsync("Oslo?", Require(ChatToolMode.RequireSpecific("get_weather"), Weather, Time)));
        Assert.Equal("Oslo", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.Equal(3, ((JsonElement)call.Arguments!["days"]!).GetInt32());
        Assert.Single(backend.Prompts);
    }

    [Fact]
    public async Task Arguments_that_do_not_fit_the_schema_are_decoded_schema_guided()
    {
        // Freely, the model writes days as a word; guided, the number segment is coerced.
        var backend = new ScriptedBackend(prompt => prompt.EndsWith("\"days\": ", StringComparison.Ordinal) ? "5}" :
            prompt.EndsWith("\"city\": \"", StringComparison.Ordinal) ? "Oslo\", " : "{\"city\": \"Oslo\", \"days\": \"five\"}}\n</tool_call>");
        using var client = ScriptedBackend.Client(backend);
        var call = SingleCall(await client.GetResponseAsync("Oslo?", Require(ChatToolMode.RequireAny, Weather)));
        Assert.Equal("get_weather", call.Name); // the only declared function: its name is fixed
        Assert.Equal("{\"city\":\"Oslo\",\"days\":5}", JsonSerializer.Serialize(call.Arguments));
    }

    [Theory]
    [InlineData("get_ti")]
    [InlineData("GET_TIME")]
    public async Task RequireAny_takes_the_declared_function_the_model_names(string written)
    {
        var backend = new ScriptedBackend(prompt => prompt.EndsWith(RequiredToolCall.NameLead, StringComparison.Ordinal) ? written : "UTC\"");
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { JsonAttempts = 0 });
        var call = SingleCall(await client.GetResponseAsync("Time?", Require(ChatToolMode.RequireAny, Weather, Time, Launch)));
        Assert.Equal("get_time", call.Name);
        Assert.Equal("UTC", ((JsonElement)call.Arguments!["zone"]!).GetString());
    }

    [Fact]
    public async Task RequireAny_narrows_a_shared_start_and_lets_the_model_go_on()
    {
        var backend = new ScriptedBackend(prompt =>
            prompt.EndsWith(RequiredToolCall.NameLead, StringComparison.Ordinal) ? "get" :
            prompt.EndsWith(RequiredToolCall.NameLead + "get_", StringComparison.Ordinal) ? "weather" : "");
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { JsonAttempts = 0 });
        var call = SingleCall(await client.GetResponseAsync("?", Require(ChatToolMode.RequireAny, Weather, Time, Launch)));
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(["city", "days"], call.Arguments!.Keys);
    }

    [Fact]
    public async Task RequireAny_calls_the_first_declared_function_when_the_model_names_none()
    {
        using var client = ScriptedBackend.Client(_ => "rm_rf", new DiffusionChatClientOptions { JsonAttempts = 0 });
        var call = SingleCall(await client.GetResponseAsync("?", Require(ChatToolMode.RequireAny, Time, Weather)));
        Assert.Equal("get_time", call.Name);
        Assert.Equal("rm_rf", ((JsonElement)call.Arguments!["zone"]!).GetString());
    }

    [Fact]
    public async Task A_required_function_that_is_not_declared_is_the_callers_error()
    {
        using var client = ScriptedBackend.Client(_ => "x");
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("?", Require(ChatToolMode.RequireSpecific("launch"), Weather)));
        Assert.Contains("'launch'", e.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("?", Require(ChatToolMode.RequireAny)));
    }

    [Fact]
    public async Task Streaming_a_required_call_ends_with_the_call()
    {
        using var client = ScriptedBackend.Client(_ => "no");
        var updates = await client.GetStreamingResponseAsync("?", Require(ChatToolMode.RequireSpecific("get_weather"), Weather)).ToListAsync();
        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
    }

    [Fact]
    public async Task Function_invocation_runs_the_required_tool_then_answers()
    {
        int calls = 0;
        var secret = AIFunctionFactory.Create(() => { calls++; return 123; }, "GetSecretNumber");
        var backend = new ScriptedBackend(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal) ? "It is 123." : "Birds are real.");
        using var client = ScriptedBackend.Client(backend).AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("Are birds real?", new ChatOptions { Tools = [secret], ToolMode = ChatToolMode.RequireAny });

        Assert.Equal(1, calls);
        Assert.Equal("It is 123.", response.Text);
    }
}
