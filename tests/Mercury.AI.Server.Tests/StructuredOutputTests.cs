using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Mercury.AI.Server.Tests.WireFormatTests;

namespace Mercury.AI.Server.Tests;

/// <summary>JSON output and required tool calls on the wire: a model that writes garbage still gets a 200 with JSON
/// that parses (OpenAI SDKs retry 5xx, so a model-quality failure must never be one), and tool_choice is enforced.</summary>
public sealed class StructuredOutputTests
{
    private const string Schema = """
        {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}
        """;

    private const string Weather = """
        [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
         {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}}]
        """;

    [Theory]
    [InlineData("{\"type\": \"json_object\"}")]
    [InlineData("{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\", \"schema\": " + Schema + "}}")]
    public async Task A_model_writing_garbage_in_json_mode_still_gets_200_and_json_that_parses(string format)
    {
        int requests = 0;
        await using var server = await StartScripted(_ => { Interlocked.Increment(ref requests); return "}}} not json {{{"; });
        foreach (bool stream in new[] { false, true })
        {
            using var response = await server.Client.PostAsync("v1/chat/completions", Json(
                $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Who?"}], "response_format": {{format}}, "stream": {{(stream ? "true" : "false")}}}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string body = await response.Content.ReadAsStringAsync();
            string content = stream
                ? string.Concat(Events(body)[..^1].Select(e => (string?)JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"] ?? ""))
                : (string)JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]!;
            using var json = JsonDocument.Parse(content);
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
            if (format.Contains("json_schema"))
            {
                Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("name").ValueKind);
                Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("age").ValueKind);
            }
        }
        Assert.True(requests > 0);
    }

    [Theory]
    [InlineData("\"required\"", null)]
    [InlineData("{\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}", "get_time")]
    public async Task Tool_choice_required_or_named_always_answers_with_a_call(string toolChoice, string? name)
    {
        await using var server = await StartScripted(prompt => prompt.EndsWith("{\"name\": \"", StringComparison.Ordinal) ? "get_weather" : "I'd rather not.");
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Hello"}], "tools": {{Weather}}, "tool_choice": {{toolChoice}}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var choice = body["choices"]![0]!;
        Assert.Equal("tool_calls", (string)choice["finish_reason"]!);
        var call = choice["message"]!["tool_calls"]![0]!["function"]!;
        Assert.Equal(name ?? "get_weather", (string)call["name"]!);
        using var arguments = JsonDocument.Parse((string)call["arguments"]!);
        Assert.Equal(JsonValueKind.String, arguments.RootElement.GetProperty(name is null ? "city" : "zone").ValueKind);
    }

    [Fact]
    public async Task Tool_choice_naming_an_undeclared_function_is_a_400()
    {
        await using var server = await StartScripted(_ => "x");
        var (status, body) = await PostAsync(server.Client, "v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "Hello"}], "tools": {{Weather}}, "tool_choice": """ +
            """{"type": "function", "function": {"name": "launch"}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'launch'", (string)body["error"]!["message"]!);
    }
}
