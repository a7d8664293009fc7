using System.Text.Json;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;

namespace Mercury.AI.Engine.Tests.Decoding;

/// <summary>Every case of the reference samplers' golden_generate.json, token for token and call for call.</summary>
public class GoldenGenerateTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var fixture in new[] { "llada-tiny", "dream-tiny" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path(fixture, "golden_generate.json")));
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray()) data.Add(fixture, c.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reproduces_reference_output_and_forward_calls(string fixture, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path(fixture, "golden_generate.json")));
        var root = doc.RootElement;
        var prompt = root.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var p = c.GetProperty("params");
        var expected = c.GetProperty("output").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        using var model = ModelLoader.Load(Fixtures.Path(fixture));
        var request = fixture == "llada-tiny" ? LLaDARequest(prompt, c.GetProperty("algorithm").GetString()!, p) : DreamRequest(prompt, c.GetProperty("algorithm").GetString()!, p);
        var result = new DiffusionGenerator(model).Generate(request);

        Assert.Equal(expected, prompt.Concat(result.Canvas).ToArray());
        Assert.Equal(c.GetProperty("forward_calls").GetInt32(), result.ForwardCalls);
    }

    private static GenerationRequest LLaDARequest(int[] prompt, string algorithm, JsonElement p)
    {
        double? threshold = p.TryGetProperty("threshold", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        var cache = algorithm switch
        {
            "fastdllm_generate.generate_with_prefix_cache" => CacheMode.Prefix,
            "fastdllm_generate.generate_with_dual_cache" => CacheMode.Dual,
            _ => CacheMode.None,
        };
        return new GenerationRequest
        {
            PromptTokens = prompt,
            MaxNewTokens = p.GetProperty("gen_length").GetInt32(),
            Options = new DiffusionOptions
            {
                Steps = p.GetProperty("steps").GetInt32(),
                BlockLength = p.GetProperty("block_length").GetInt32(),
                Policy = threshold is { } thr ? new ConfidenceThresholdRemasking(thr) : new LowConfidenceRemasking(),
                Cache = cache,
                StopAtEndToken = false, // the references decode the whole canvas
            },
        };
    }

    private static GenerationRequest DreamRequest(int[] prompt, string algorithm, JsonElement p)
    {
        UnmaskingPolicy policy = algorithm switch
        {
            "maskgit_plus" => new DreamRemasking(DreamConfidence.MaskGitPlus),
            "topk_margin" => new DreamRemasking(DreamConfidence.TopKMargin),
            "entropy" => new DreamRemasking(DreamConfidence.Entropy),
            "confidence_threshold" => new DreamConfidenceThreshold(p.GetProperty("threshold").GetDouble()),
            _ => throw new ArgumentException(algorithm),
        };
        return new GenerationRequest
        {
            PromptTokens = prompt,
            MaxNewTokens = p.GetProperty("max_new_tokens").GetInt32(),
            Options = new DiffusionOptions { Steps = p.GetProperty("steps").GetInt32(), Policy = policy, StopAtEndToken = false },
        };
    }
}
