using System.Net;
using System.Text.Json.Nodes;
using Mercury.AI.Chat;
using Mercury.AI.Chat.Tests;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Tests.Decoding;
using Mercury.AI.Engine.Tokenization;
using static Mercury.AI.Server.Tests.WireFormatTests;

namespace Mercury.AI.Server.Tests;

/// <summary><c>POST /v1/completions</c> as OpenAI's SDKs call it (<c>completions.create({prompt, suffix})</c>), and
/// <c>stop</c> on the server's routes through the real step loop.</summary>
public sealed class CompletionsEndpointTests
{
    [Fact]
    public async Task Completions_infill_with_a_suffix_and_continue_without_one()
    {
        var backend = new ScriptedBackend(_ => "a + b");
        await using var server = await ServerHost.StartAsync(() => ScriptedBackend.Client(backend));

        var (status, body) = await PostAsync(server.Client, "v1/completions",
            $$"""{"model": "{{Model}}", "prompt": "def add(a, b):\n    return ", "suffix": "\n\nprint(add(1, 2))\n", "max_tokens": 8}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("cmpl-", (string)body["id"]!);
        Assert.Equal("text_completion", (string)body["object"]!);
        Assert.Equal("a + b", (string)body["choices"]![0]!["text"]!);
        Assert.Equal("stop", (string)body["choices"]![0]!["finish_reason"]!);
        Assert.True((int)body["usage"]!["completion_tokens"]! > 0);
        var infill = backend.Requests.Last();
        Assert.Equal("def add(a, b):\n    return ", backend.Tokenizer.Decode(infill.PromptTokens));
        Assert.Equal("\n\nprint(add(1, 2))\n", backend.Tokenizer.Decode(infill.SuffixTokens!));
        Assert.Equal(8, infill.MaxNewTokens);

        (status, body) = await PostAsync(server.Client, "v1/completions", $$"""{"model": "{{Model}}", "prompt": ["x = "]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var continuation = backend.Requests.Last();
        Assert.Empty(continuation.SuffixTokens!);
        Assert.Equal(16, continuation.MaxNewTokens); // OpenAI's default max_tokens
    }

    [Fact]
    public async Task Completions_stream_deltas_that_add_up_then_finish_then_usage_when_asked()
    {
        await using var server = await StartScripted(_ => "return a + b  # the sum");
        using var response = await server.Client.PostAsync("v1/completions", Json(
            $$$"""{"model": "{{{Model}}}", "prompt": "def add(a, b):\n    ", "max_tokens": 32, "stream": true, "stream_options": {"include_usage": true}}"""));
        var events = Events(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string)c["object"]!));
        var choices = chunks.Where(c => c["choices"]!.AsArray().Count > 0).ToList();
        Assert.Equal("return a + b  # the sum", string.Concat(choices.Select(c => (string)c["choices"]![0]!["text"]!)));
        Assert.Equal("stop", (string)choices[^1]["choices"]![0]!["finish_reason"]!);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.True((int)chunks[^1]["usage"]!["completion_tokens"]! > 0);
    }

    [Theory]
    [InlineData("\"prompt\": [\"a\", \"b\"]", "prompt")]
    [InlineData("\"prompt\": [1, 2, 3]", "prompt")]
    [InlineData("\"prompt\": \"a\", \"n\": 2", "n")]
    [InlineData("\"prompt\": \"a\", \"best_of\": 3", "best_of")]
    [InlineData("\"prompt\": \"a\", \"echo\": true", "echo")]
    [InlineData("\"prompt\": \"a\", \"logprobs\": 2", "logprobs")]
    [InlineData("\"prompt\": \"a\", \"logit_bias\": {\"50256\": -100}", "logit_bias")]
    [InlineData("\"prompt\": \"a\", \"presence_penalty\": 0.5", "presence_penalty")]
    [InlineData("\"prompt\": \"a\", \"stop\": 3", "stop")]
    [InlineData("\"suffix\": \"a\"", "prompt")]
    public async Task Completions_refuse_what_they_cannot_honour_naming_the_field(string fields, string param)
    {
        await using var server = await StartScripted(_ => "x");
        var (status, body) = await PostAsync(server.Client, "v1/completions", $$"""{"model": "{{Model}}", {{fields}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, (string?)body["error"]!["param"]);
    }

    [Fact]
    public async Task Stop_on_chat_and_completions_cuts_at_the_stop_string_final_in_the_same_step_as_the_end_token()
    {
        var tokenizer = HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"));
        var model = new ScriptedModel(tokenizer, "<|im_start|>assistant\n", _ => "def add(a, b):\n    return a + b\n```\nDone.");
        await using var server = await ServerHost.StartAsync(() => new DiffusionChatClient(new DiffusionGenerator(model, tokenizer),
            new DiffusionChatClientOptions { ModelId = Model }));
        const string knobs = "\"algorithm\": \"confidence_threshold\", \"threshold\": 0.9, \"block_length\": 48, \"max_tokens\": 48";

        var (_, chat) = await PostAsync(server.Client, "v1/chat/completions",
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "add"}], "stop": ["\n```"], {{knobs}}}""");
        Assert.Equal("def add(a, b):\n    return a + b", (string)chat["choices"]![0]!["message"]!["content"]!);
        Assert.Equal("stop", (string)chat["choices"]![0]!["finish_reason"]!);

        using var streamed = await server.Client.PostAsync("v1/chat/completions", Json(
            $$"""{"model": "{{Model}}", "messages": [{"role": "user", "content": "add"}], "stop": "return", "stream": true, {{knobs}}}"""));
        var chunks = Events(await streamed.Content.ReadAsStringAsync())[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal("def add(a, b):\n    ", string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? "")));

        var (_, completion) = await PostAsync(server.Client, "v1/completions",
            $$"""{"model": "{{Model}}", "prompt": "<|im_start|>user\nadd<|im_end|>\n<|im_start|>assistant\n", "stop": ["return"], {{knobs}}}""");
        Assert.Equal("def add(a, b):\n    ", (string)completion["choices"]![0]!["text"]!);
        Assert.Equal("stop", (string)completion["choices"]![0]!["finish_reason"]!);
    }
}
