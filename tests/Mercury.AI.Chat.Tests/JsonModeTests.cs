using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

public class JsonModeTests
{
    private static readonly JsonElement PersonSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""").RootElement;

    [Fact]
    public async Task Json_mode_prefills_the_opening_brace_and_returns_parseable_json()
    {
        var backend = new ScriptedBackend(_ => "\"name\": \"Ada\", \"age\": 36}");
        using var client = ScriptedBackend.Client(backend);
        var response = await client.GetResponseAsync("Who?", new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema, "person") });

        Assert.Equal("{\"name\": \"Ada\", \"age\": 36}", response.Text);
        JsonDocument.Parse(response.Text).Dispose();
        string prompt = Assert.Single(backend.Prompts);
        Assert.EndsWith("<|im_start|>assistant\n{", prompt);
        Assert.Contains("conforms to this JSON schema (person)", prompt);
    }

    [Fact]
    public async Task Invalid_output_is_regenerated_with_another_seed_and_sampling()
    {
        int call = 0;
        var backend = new ScriptedBackend(_ => Interlocked.Increment(ref call) == 1 ? "\"name\": \"Ada\"}" : "\"name\": \"Ada\", \"age\": 36}");
        using var client = ScriptedBackend.Client(backend);
        var response = await client.GetResponseAsync("Who?", new ChatOptions { Seed = 5, ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema) });

        Assert.Equal("{\"name\": \"Ada\", \"age\": 36}", response.Text);
        var requests = backend.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(6, requests[1].Options.Seed);
        Assert.True(requests[1].Options.Temperature > 0);
        Assert.Equal(requests[0].PromptTokens.Count + requests[1].PromptTokens.Count, response.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Json_mode_gives_a_clear_error_after_the_attempt_budget()
    {
        var backend = new ScriptedBackend(_ => "not json at all");
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { JsonAttempts = 3 });
        var e = await Assert.ThrowsAsync<DiffusionJsonException>(() => client.GetResponseAsync("?", new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        Assert.Contains("after 3 generation(s)", e.Message);
        Assert.Equal("{not json at all", e.LastOutput);
        Assert.Equal(3, backend.Requests.Count);
    }

    [Theory]
    [InlineData("\"name\": 3, \"age\": 1}", "$.name: expected string")]
    [InlineData("\"name\": \"a\"}", "missing required property 'age'")]
    [InlineData("\"name\": \"a\", \"age\": 1, \"x\": 0}", "$.x: no value is allowed")]
    public async Task Schema_violations_are_reported(string answer, string reason)
    {
        using var client = ScriptedBackend.Client(_ => answer, new DiffusionChatClientOptions { JsonAttempts = 1 });
        var e = await Assert.ThrowsAsync<DiffusionJsonException>(() => client.GetResponseAsync("?", new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema) }));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public async Task A_fenced_json_answer_is_unwrapped_when_no_prefix_was_filled()
    {
        var schema = JsonDocument.Parse("""{"type":["object","array"]}""").RootElement; // no single root type: no prefill
        using var client = ScriptedBackend.Client(_ => "```json\n[1, 2]\n```");
        var response = await client.GetResponseAsync("?", new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema) });
        Assert.Equal("[1, 2]", response.Text);
    }

    [Fact]
    public async Task Json_mode_on_a_real_model_returns_json_or_the_clear_error()
    {
        using var client = DiffusionChatClient.Load(RealModel.Options("llada-tiny"));
        string prompt = RealModel.Prompts(1)[0];
        try
        {
            var response = await client.GetResponseAsync(prompt, new ChatOptions { MaxOutputTokens = 8, ResponseFormat = ChatResponseFormat.Json });
            JsonDocument.Parse(response.Text).Dispose();
        }
        catch (DiffusionJsonException e)
        {
            Assert.StartsWith("JSON mode: no valid JSON after 3 generation(s)", e.Message);
        }
    }
}
