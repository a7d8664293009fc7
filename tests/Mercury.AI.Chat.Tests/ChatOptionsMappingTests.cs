using System.Text.Json;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

public class ChatOptionsMappingTests
{
    private static async Task<GenerationRequest> RequestFor(ChatOptions? options, DiffusionChatClientOptions? clientOptions = null)
    {
        var backend = new ScriptedBackend(_ => "ok");
        using var client = ScriptedBackend.Client(backend, clientOptions);
        await client.GetResponseAsync("hi", options);
        return Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Chat_options_map_to_the_sampler_request()
    {
        var request = await RequestFor(new ChatOptions
        {
            MaxOutputTokens = 48, Temperature = 0.5f, TopP = 0.9f, TopK = 20, Seed = 7, StopSequences = ["END"],
        });
        Assert.Equal(48, request.MaxNewTokens);
        Assert.Equal(0.5, request.Options.Temperature, 5);
        Assert.Equal(0.9, request.Options.TopP!.Value, 5);
        Assert.Equal(20, request.Options.TopK);
        Assert.Equal(7, request.Options.Seed);
        Assert.Equal(["END"], request.StopSequences);
    }

    [Fact]
    public async Task Unset_options_use_the_client_defaults()
    {
        var request = await RequestFor(null, new DiffusionChatClientOptions { DefaultMaxOutputTokens = 17, Diffusion = { Steps = 5 } });
        Assert.Equal(17, request.MaxNewTokens);
        Assert.Equal(5, request.Options.Steps);
        Assert.Equal(0, request.Options.Temperature);
        Assert.Null(request.Options.Policy);
        Assert.Null(request.StopSequences); // <|im_end|> is an end token of the scripted config
    }

    [Fact]
    public async Task Typed_diffusion_options_in_additional_properties_set_the_policy_and_cache()
    {
        var request = await RequestFor(new ChatOptions
        {
            AdditionalProperties = new() { [DiffusionChatOptions.AdditionalPropertiesKey] = new DiffusionChatOptions { Steps = 16, BlockLength = 8, Threshold = 0.8, Cache = CacheMode.Dual } },
        });
        Assert.Equal(new ConfidenceThresholdRemasking(0.8), request.Options.Policy);
        Assert.Equal(16, request.Options.Steps);
        Assert.Equal(8, request.Options.BlockLength);
        Assert.Equal(CacheMode.Dual, request.Options.Cache);
    }

    [Fact]
    public async Task Single_additional_properties_accept_strings_numbers_and_python_spellings()
    {
        var request = await RequestFor(new ChatOptions
        {
            AdditionalProperties = new()
            {
                [DiffusionChatOptions.StepsKey] = "32",
                [DiffusionChatOptions.AlgorithmKey] = "topk_margin",
                [DiffusionChatOptions.CacheKey] = JsonSerializer.SerializeToElement("prefix"),
                [DiffusionChatOptions.BlockLengthKey] = 16L,
            },
        });
        Assert.Equal(new DreamRemasking(DreamConfidence.TopKMargin), request.Options.Policy);
        Assert.Equal(32, request.Options.Steps);
        Assert.Equal(16, request.Options.BlockLength);
        Assert.Equal(CacheMode.Prefix, request.Options.Cache);
    }

    [Fact]
    public async Task Diffusion_options_as_json_element_are_read()
    {
        var request = await RequestFor(new ChatOptions
        {
            AdditionalProperties = new() { [DiffusionChatOptions.AdditionalPropertiesKey] = JsonDocument.Parse("""{"steps": 4, "algorithm": "Random"}""").RootElement },
        });
        Assert.Equal(new RandomRemasking(), request.Options.Policy);
        Assert.Equal(4, request.Options.Steps);
    }

    [Fact]
    public async Task Request_values_win_over_client_defaults_without_changing_them()
    {
        var defaults = new DiffusionChatClientOptions { Diffusion = { Steps = 5, BlockLength = 4 } };
        var request = await RequestFor(new ChatOptions { AdditionalProperties = new() { [DiffusionChatOptions.StepsKey] = 9 } }, defaults);
        Assert.Equal(9, request.Options.Steps);
        Assert.Equal(4, request.Options.BlockLength);
        Assert.Equal(5, defaults.Diffusion.Steps);
    }

    [Theory]
    [InlineData(DiffusionChatOptions.StepsKey, 0, "at least 1")]
    [InlineData(DiffusionChatOptions.StepsKey, "many", "not a valid")]
    [InlineData(DiffusionChatOptions.AlgorithmKey, "beam", "LowConfidence, Random")]
    [InlineData(DiffusionChatOptions.ThresholdKey, 1.5, "(0, 1]")]
    [InlineData(DiffusionChatOptions.CacheKey, "triple", "None, Prefix, Dual")]
    public async Task Invalid_additional_properties_fail_with_a_message_naming_the_problem(string key, object value, string expected)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => RequestFor(new ChatOptions { AdditionalProperties = new() { [key] = value } }));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("topP")]
    [InlineData("topK")]
    [InlineData("maxOutputTokens")]
    [InlineData("modelId")]
    [InlineData("thresholdWithLowConfidence")]
    [InlineData("cfgWithCache")]
    public async Task Invalid_chat_options_fail_with_an_argument_exception(string which)
    {
        var options = which switch
        {
            "temperature" => new ChatOptions { Temperature = -1 },
            "topP" => new ChatOptions { TopP = 1.5f },
            "topK" => new ChatOptions { TopK = 0 },
            "maxOutputTokens" => new ChatOptions { MaxOutputTokens = 0 },
            "modelId" => new ChatOptions { ModelId = "gpt-4o" },
            "thresholdWithLowConfidence" => new ChatOptions { AdditionalProperties = new() { [DiffusionChatOptions.AdditionalPropertiesKey] = new DiffusionChatOptions { Algorithm = DiffusionAlgorithm.LowConfidence, Threshold = 0.5 } } },
            _ => new ChatOptions { AdditionalProperties = new() { [DiffusionChatOptions.AdditionalPropertiesKey] = new DiffusionChatOptions { CfgScale = 1, Cache = CacheMode.Prefix } } },
        };
        await Assert.ThrowsAsync<ArgumentException>(() => RequestFor(options));
    }

    [Fact]
    public async Task Caller_stop_sequences_are_not_mutated()
    {
        var stops = new List<string> { "END" };
        var backend = new ScriptedBackend(_ => "ok") { Config = new ScriptedBackend(_ => "").Config with { EndTokenIds = [ScriptedBackend.EndOfText] } };
        using var client = ScriptedBackend.Client(backend);
        await client.GetResponseAsync("hi", new ChatOptions { StopSequences = stops });
        Assert.Equal(["END"], stops);
        Assert.Equal(["END", "<|im_end|>"], Assert.Single(backend.Requests).StopSequences); // end-of-turn not in the config: a stop sequence
    }

    [Fact]
    public async Task Raw_representation_factory_supplies_engine_options_that_set_chat_options_override()
    {
        var raw = new DiffusionOptions { Policy = new DreamConfidenceThreshold(0.7), Steps = 3, Cache = CacheMode.Prefix, Temperature = 0.2, LogitsEosInf = true };
        var request = await RequestFor(new ChatOptions { RawRepresentationFactory = _ => raw, Temperature = 0.9f });
        Assert.Equal(raw with { Temperature = 0.9f }, request.Options);
    }

    [Fact]
    public async Task Truncate_start_drops_the_oldest_turns_but_keeps_the_system_prompt()
    {
        var backend = new ScriptedBackend(_ => "ok") { Config = new ScriptedBackend(_ => "").Config with { MaxSequenceLength = 80 } };
        using var client = ScriptedBackend.Client(backend);
        ChatMessage[] history =
        [
            new(ChatRole.System, "Be kind."),
            new(ChatRole.User, "first question " + new string('a', 60)),
            new(ChatRole.Assistant, "first answer " + new string('b', 60)),
            new(ChatRole.User, "latest?"),
        ];
        var options = new ChatOptions { MaxOutputTokens = 8, AdditionalProperties = new() { [DiffusionChatOptions.AdditionalPropertiesKey] = new DiffusionChatOptions { Overflow = PromptOverflow.TruncateStart } } };
        await client.GetResponseAsync(history, options);

        Assert.Equal("<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nlatest?<|im_end|>\n<|im_start|>assistant\n", Assert.Single(backend.Prompts));
        Assert.Equal(4, history.Length);
    }
}
