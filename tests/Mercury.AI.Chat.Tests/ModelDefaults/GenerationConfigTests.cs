using System.ComponentModel;
using System.Text.Json.Nodes;
using Mercury.AI.Chat.Templates;
using Mercury.AI.Engine;
using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.ModelDefaults;

/// <summary>A model folder's generation_config.json is the one source of its system prompt, tool format and sampler
/// defaults; the client applies them when the caller says nothing, and the caller's values win.</summary>
public class GenerationConfigTests
{
    private static readonly GenerationConfig Folder = GenerationConfig.FromJson(new JsonObject
    {
        ["system_prompt"] = "You are Tiny.",
        ["tool_format"] = "compact",
        ["max_new_tokens"] = 40,
        ["alg"] = "confidence_threshold",
        ["threshold"] = 0.8,
        ["cache"] = "dual",
        ["block_length"] = 16,
    });

    private static (ScriptedBackend Backend, DiffusionChatClient Client) ClientWith(GenerationConfig generation, DiffusionChatClientOptions? options = null)
    {
        var backend = new ScriptedBackend(_ => "ok");
        return (backend, new DiffusionChatClient(backend, options, null, "scripted-model", generation));
    }

    [Fact]
    public async Task The_folder_system_prompt_applies_when_the_conversation_has_none_and_instructions_add_to_it()
    {
        var (backend, client) = ClientWith(Folder);
        using var _ = client;
        await client.GetResponseAsync("hi");
        await client.GetResponseAsync("hi", new ChatOptions { Instructions = "Be brief." });
        await client.GetResponseAsync([new(ChatRole.System, "Own prompt."), new(ChatRole.User, "hi")]);
        Assert.Equal(
        [
            "<|im_start|>system\nYou are Tiny.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>system\nYou are Tiny.\n\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>system\nOwn prompt.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
        ], backend.Prompts);
    }

    [Fact]
    public async Task The_options_system_prompt_overrides_the_folder()
    {
        var (backend, client) = ClientWith(Folder, new DiffusionChatClientOptions { DefaultSystemPrompt = "Override." });
        using var _ = client;
        await client.GetResponseAsync("hi");
        Assert.StartsWith("<|im_start|>system\nOverride.<|im_end|>", Assert.Single(backend.Prompts));
    }

    [Fact]
    public async Task Sampler_and_length_defaults_come_from_the_folder_and_requests_override_them()
    {
        var (backend, client) = ClientWith(Folder);
        using var _ = client;
        await client.GetResponseAsync("hi");
        await client.GetResponseAsync("hi", new ChatOptions
        {
            MaxOutputTokens = 12,
            AdditionalProperties = new() { [DiffusionChatOptions.ThresholdKey] = 0.5, [DiffusionChatOptions.CacheKey] = "none" },
        });
        var requests = backend.Requests.ToArray();
        Assert.Equal(40, requests[0].MaxNewTokens);
        Assert.Equal(new ConfidenceThresholdRemasking(0.8), requests[0].Options.Policy);
        Assert.Equal(CacheMode.Dual, requests[0].Options.Cache);
        Assert.Equal(16, requests[0].Options.BlockLength);
        Assert.Equal(12, requests[1].MaxNewTokens);
        Assert.Equal(new ConfidenceThresholdRemasking(0.5), requests[1].Options.Policy);
        Assert.Equal(CacheMode.None, requests[1].Options.Cache);
    }

    [Fact]
    public async Task A_request_choosing_another_sampler_does_not_inherit_the_folder_threshold()
    {
        var (backend, client) = ClientWith(Folder);
        using var _ = client;
        await client.GetResponseAsync("hi", new ChatOptions { AdditionalProperties = new() { [DiffusionChatOptions.AlgorithmKey] = "low_confidence" } });
        Assert.Equal(new LowConfidenceRemasking(), Assert.Single(backend.Requests).Options.Policy);
        var dreamLike = GenerationConfig.FromJson(new JsonObject { ["alg"] = "low_confidence" });
        var (backend2, client2) = ClientWith(dreamLike);
        using var __ = client2;
        await client2.GetResponseAsync("hi", new ChatOptions { AdditionalProperties = new() { [DiffusionChatOptions.ThresholdKey] = 0.7 } });
        Assert.Equal(new ConfidenceThresholdRemasking(0.7), Assert.Single(backend2.Requests).Options.Policy);
    }

    [Fact]
    public async Task Compact_tool_format_writes_one_signature_line_per_function()
    {
        var (backend, client) = ClientWith(Folder);
        using var _ = client;
        var weather = AIFunctionFactory.Create(([Description("The city")] string city, Unit unit = Unit.Celsius) => "sunny", "get_weather", "Gets the weather.");
        var add = AIFunctionFactory.Create((int[] numbers) => numbers.Sum(), "add_all");
        await client.GetResponseAsync("weather in Paris?", new ChatOptions { Tools = [weather, add], ToolMode = ChatToolMode.RequireSpecific("get_weather") });
        Assert.Equal(
            "<|im_start|>system\nYou are Tiny.\n\n# Tools\nget_weather(city: string, unit?: \"Celsius\" | \"Fahrenheit\") - Gets the weather.\nadd_all(numbers: integer[])\n" +
            "To call a function, answer with <tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>\n\n" +
            "You must call the function get_weather.<|im_end|>\n<|im_start|>user\nweather in Paris?<|im_end|>\n<|im_start|>assistant\n",
            backend.Prompts.First());
    }

    public enum Unit { Celsius, Fahrenheit }

    [Theory]
    [InlineData("{\"system_prompt\": 3}", "'system_prompt' must be a string")]
    [InlineData("{\"steps\": 1.5}", "'steps' must be a whole number")]
    [InlineData("{\"cache\": \"sometimes\"}", "'cache' must be none, prefix or dual")]
    [InlineData("{\"tool_format\": \"xml\"}", "'tool_format' must be qwen or compact")]
    [InlineData("{\"threshold\": 2}", "'threshold' must be in (0, 1]")]
    [InlineData("[1]", "is not a JSON object")]
    [InlineData("{", "is not valid JSON")]
    public void Bad_files_fail_naming_the_file_and_the_field(string text, string expected)
    {
        string folder = Directory.CreateTempSubdirectory("mercury-genconfig-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, GenerationConfig.FileName), text);
            var e = Assert.Throws<CheckpointException>(() => GenerationConfig.Load(folder));
            Assert.Contains(GenerationConfig.FileName, e.Message);
            Assert.Contains(expected, e.Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_folder_without_the_file_has_no_defaults_and_dream_names_are_read()
    {
        Assert.Same(GenerationConfig.Empty, GenerationConfig.Load(Path.GetTempPath()));
        var dream = GenerationConfig.FromJson(new JsonObject { ["alg"] = "entropy", ["steps"] = 256, ["temperature"] = 0.2 });
        Assert.Equal(("entropy", 256, 0.2), (dream.Algorithm, dream.Steps, dream.Temperature));
        Assert.Null(GenerationConfig.FromJson(new JsonObject { ["alg"] = "origin" }).Algorithm);
    }

    [Fact]
    public void The_embedded_model_folder_carries_the_system_prompt_the_client_applies()
    {
        string folder = EmbeddedModel.Locate();
        var generation = GenerationConfig.Load(folder);
        Assert.False(string.IsNullOrEmpty(generation.SystemPrompt));
        using var client = DiffusionChatClient.Load(new DiffusionChatClientOptions { Device = "cpu" });
        Assert.Equal(generation.SystemPrompt, client.Template.DefaultSystemPrompt);
        Assert.StartsWith($"<|im_start|>system\n{generation.SystemPrompt}<|im_end|>", client.Template.Render([new ChatMessage(ChatRole.User, "x")]));
    }
}
