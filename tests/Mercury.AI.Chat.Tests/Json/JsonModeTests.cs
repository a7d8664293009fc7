using System.Text.Json;
using Mercury.AI.Chat.Json;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.Json;

/// <summary>JSON output: whatever the model writes, the answer parses and carries the schema's required keys; a model
/// that writes valid JSON on its own costs one generation.</summary>
public class JsonModeTests
{
    internal static readonly JsonElement PersonSchema = JsonDocument.Parse("""
        {"type":"object","properties":{
          "name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150},
          "tags":{"type":"array","items":{"type":"string"}},"role":{"type":"string","enum":["admin","user"]},
          "active":{"type":"boolean"},"nickname":{"type":["string","null"]}},
         "required":["name","age","tags","role","active"],"additionalProperties":false}
        """).RootElement;

    private const string Ada = """{"name": "Ada", "age": 36, "tags": ["math", "engines"], "role": "admin", "active": true}""";

    private static ChatOptions Schema(JsonElement schema, int maxTokens = 128) =>
        new() { MaxOutputTokens = maxTokens, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "person") };

    [Fact]
    public async Task Valid_json_written_freely_is_returned_after_one_generation()
    {
        var backend = new ScriptedBackend(_ => Ada[1..]);
        using var client = ScriptedBackend.Client(backend);
        var response = await client.GetResponseAsync("Who?", Schema(PersonSchema));

        Assert.Equal(Ada, response.Text);
        string prompt = Assert.Single(backend.Prompts);
        Assert.EndsWith("<|im_start|>assistant\n{", prompt);
        Assert.Contains("conforms to this JSON schema (person)", prompt);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task The_guided_decode_writes_the_keys_and_the_model_fills_the_values()
    {
        var backend = new ScriptedBackend(ScriptedBackend.Continuing(Ada));
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { JsonAttempts = 0 });
        var response = await client.GetResponseAsync("Who?", Schema(PersonSchema));

        Assert.Equal(Ada, response.Text);
        var prompts = backend.Prompts.ToArray();
        Assert.True(prompts.Length > 5, "one short generation per value and per array decision");
        Assert.Contains(prompts, p => p.EndsWith("assistant\n{\"name\": \"Ada\", \"age\": ", StringComparison.Ordinal));
        Assert.Equal(backend.Requests.Sum(r => r.PromptTokens.Count), response.Usage!.InputTokenCount);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("\"}]{[,:\\")]
    [InlineData("-12e999 , \"")]
    public async Task Whatever_the_model_writes_the_answer_parses_and_fits_the_schema(string garbage)
    {
        using var client = ScriptedBackend.Client(_ => garbage);
        var response = await client.GetResponseAsync("Who?", Schema(PersonSchema));

        Assert.Null(JsonOutput.Validate(response.Text, PersonSchema, out string? error) is null ? error : null);
        using var json = JsonDocument.Parse(response.Text);
        Assert.Equal(["name", "age", "tags", "role", "active"], json.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Garbage_values_are_coerced_to_their_types()
    {
        using var client = ScriptedBackend.Client(_ => "lorem ipsum");
        var response = await client.GetResponseAsync("Who?", Schema(PersonSchema));
        Assert.Equal("""{"name": "lorem ipsum", "age": 0, "tags": [], "role": "admin", "active": false}""", response.Text);
    }

    [Fact]
    public async Task Json_mode_without_a_schema_gives_an_object_the_model_keys()
    {
        const string answer = """{"a": 1, "b": "x", "c": [true, null], "d": {"e": -2.5}}""";
        using var fluent = ScriptedBackend.Client(ScriptedBackend.Continuing(answer), new DiffusionChatClientOptions { JsonAttempts = 0 });
        Assert.Equal(answer, (await fluent.GetResponseAsync("?", new ChatOptions { ResponseFormat = ChatResponseFormat.Json })).Text);

        using var garbage = ScriptedBackend.Client(_ => "def f(): pass");
        Assert.Equal("{}", (await garbage.GetResponseAsync("?", new ChatOptions { ResponseFormat = ChatResponseFormat.Json })).Text);
    }

    [Fact]
    public async Task Numbers_are_clamped_refs_followed_and_nullable_unions_take_their_type()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","$defs":{"point":{"type":"object","properties":{"x":{"type":"integer","maximum":10},"y":{"type":"number","minimum":0}},"required":["x","y"]}},
             "properties":{"p":{"$ref":"#/$defs/point"},"label":{"anyOf":[{"type":"null"},{"type":"string","maxLength":3}]},"n":{"const":7}},
             "required":["p","label","n"]}
            """).RootElement;
        using var client = ScriptedBackend.Client(prompt =>
            prompt.EndsWith("\"x\": ", StringComparison.Ordinal) ? "99.7, \"y\"" : prompt.EndsWith("\"y\": ", StringComparison.Ordinal) ? "-4}"
            : prompt.EndsWith("\"label\": \"", StringComparison.Ordinal) ? "abcdef\"}" : "", new DiffusionChatClientOptions { JsonAttempts = 0 });
        var response = await client.GetResponseAsync("?", Schema(schema));
        Assert.Equal("""{"p": {"x": 10, "y": 0}, "label": "abc", "n": 7}""", response.Text);
    }

    [Fact]
    public async Task Without_required_every_property_is_written_arrays_stop_at_16_items_and_deep_nesting_gets_defaults()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"n":{"type":"integer","exclusiveMinimum":5},"xs":{"type":"array","items":{"type":"integer"}},
             "deep":{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"object","properties":
               {"d":{"type":"object","properties":{"e":{"type":"object","properties":{"f":{"type":"object","properties":{"g":{"type":"integer","default":3}}}}}}}}}}}}}}}}}
            """).RootElement;
        using var client = ScriptedBackend.Client(prompt =>
            prompt.EndsWith("\"n\": ", StringComparison.Ordinal) ? "4.9," :
            prompt.EndsWith("[", StringComparison.Ordinal) || prompt.EndsWith(", ", StringComparison.Ordinal) ? "1, 1" : // an item
            prompt.EndsWith("1", StringComparison.Ordinal) ? ", 1" : "", // after an item: always one more
            new DiffusionChatClientOptions { JsonAttempts = 0 });
        var response = await client.GetResponseAsync("?", Schema(schema, maxTokens: 400));

        using var json = JsonDocument.Parse(response.Text);
        Assert.Equal(["n", "xs", "deep"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(6, json.RootElement.GetProperty("n").GetInt32());
        Assert.Equal(16, json.RootElement.GetProperty("xs").GetArrayLength());
        Assert.Contains("\"f\": {\"g\": 3}", response.Text);
    }

    [Fact]
    public async Task A_short_budget_still_gives_every_required_key_and_says_length()
    {
        using var client = ScriptedBackend.Client(_ => new string('a', 400));
        var response = await client.GetResponseAsync("Who?", Schema(PersonSchema, maxTokens: 24));

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Null(JsonOutput.Validate(response.Text, PersonSchema, out string? error) is null ? error : null);
    }

    [Fact]
    public async Task Further_unconstrained_attempts_sample_with_another_seed()
    {
        int call = 0;
        var backend = new ScriptedBackend(_ => Interlocked.Increment(ref call) == 1 ? "\"name\": \"Ada\"}" : Ada[1..]);
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { JsonAttempts = 2 });
        var response = await client.GetResponseAsync("Who?", new ChatOptions { Seed = 5, ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema) });

        Assert.Equal(Ada, response.Text);
        var requests = backend.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(6, requests[1].Options.Seed);
        Assert.True(requests[1].Options.Temperature > 0);
        Assert.Equal(requests[0].PromptTokens.Count + requests[1].PromptTokens.Count, response.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Typed_structured_output_deserializes_whatever_the_model_writes()
    {
        using var client = ScriptedBackend.Client(_ => "I am not JSON.");
        var person = await client.GetResponseAsync<Person>("Who is Ada?");
        Assert.NotNull(person.Result);
        var number = await client.GetResponseAsync<int>("How many?");
        Assert.Equal(0, number.Result);
        var kind = await client.GetResponseAsync<Kind>("Which?");
        Assert.True(Enum.IsDefined(kind.Result));
    }

    [Fact]
    public async Task Streaming_json_equals_the_non_streamed_answer()
    {
        using var client = ScriptedBackend.Client(ScriptedBackend.Continuing(Ada), new DiffusionChatClientOptions { JsonAttempts = 0 });
        var whole = await client.GetResponseAsync("Who?", Schema(PersonSchema));
        var streamed = await client.GetStreamingResponseAsync("Who?", Schema(PersonSchema)).ToListAsync();
        Assert.Equal(whole.Text, streamed.ToChatResponse().Text);
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
    public async Task Json_mode_on_a_real_model_always_parses()
    {
        using var client = DiffusionChatClient.Load(RealModel.Options("llada-tiny"));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["a","b"]}""").RootElement;
        var options = Schema(schema, maxTokens: 12);
        options.AdditionalProperties = new() { [DiffusionChatOptions.StepsKey] = 4 }; // a few forward calls per segment keep it short
        var response = await client.GetResponseAsync(RealModel.Prompts(1)[0], options);
        Assert.Null(JsonOutput.Validate(response.Text, schema, out string? error) is null ? error : null);
    }

    public sealed record Person(string Name, int Age, string[] Tags);

    public enum Kind { Cat, Dog }
}
