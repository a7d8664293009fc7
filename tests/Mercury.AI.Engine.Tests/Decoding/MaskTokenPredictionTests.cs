using System.Text.Json;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;
using Algorithm = Mercury.AI.Engine.Tests.Decoding.ReferenceSamplers.DreamAlgorithm;

namespace Mercury.AI.Engine.Tests.Decoding;

/// <summary>
/// A model that predicts its own mask token (issue 12, item 6). The reference samplers make a fixed number of calls
/// and leave such a position masked; the engine must make the same calls and produce the same canvas, and end every
/// decode. The expected behaviour comes from <see cref="ReferenceSamplers"/>, transcriptions of the reference code,
/// which are first checked against the golden fixtures.
/// </summary>
public class MaskTokenPredictionTests
{
    private static readonly int[] LLaDAPrompt = [375, 478, 75, 191, 191, 381, 335, 126];
    private static readonly int[] DreamPrompt = [43, 46, 41, 490, 272, 192, 76, 188];

    [Theory]
    [InlineData("llada-tiny", "llada_single_block")]
    [InlineData("llada-tiny", "llada_semi_ar_blocks4")]
    [InlineData("llada-tiny", "llada_half_steps")]
    [InlineData("llada-tiny", "fastdllm_nocache_thrNone")]
    [InlineData("llada-tiny", "fastdllm_dual_cache_thrNone")]
    [InlineData("llada-tiny", "fastdllm_nocache_thr0.9")]
    [InlineData("llada-tiny", "fastdllm_dual_cache_thr0.9")]
    [InlineData("llada-tiny", "fastdllm_dual_cache_thr0.5")]
    [InlineData("dream-tiny", "dream_maskgit_plus")]
    [InlineData("dream-tiny", "dream_topk_margin")]
    [InlineData("dream-tiny", "dream_entropy")]
    [InlineData("dream-tiny", "dream_confidence_threshold")]
    public void Reference_transcriptions_reproduce_the_golden_cases(string fixture, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path(fixture, "golden_generate.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var p = c.GetProperty("params");
        using var model = ModelLoader.Load(Fixtures.Path(fixture));

        var run = fixture == "llada-tiny" ? LLaDAReference(model, c.GetProperty("algorithm").GetString()!, p) : DreamReference(model, c.GetProperty("algorithm").GetString()!, p);

        Assert.Equal(c.GetProperty("output").EnumerateArray().Select(e => e.GetInt64()), run.Canvas);
        Assert.Equal(c.GetProperty("forward_calls").GetInt32(), run.Calls);
    }

    /// <summary>Each case: the fixture with its head row for the mask token set to <c>factor</c> × the row of
    /// <c>token</c>, so the mask token wins wherever that token would have, and the sampler.</summary>
    public static TheoryData<string, int, double, string> Cases() => new()
    {
        { "llada-tiny", 51, 1.001, "llada steps=16 block=4" },          // leftovers of earlier blocks compete in later ones
        { "llada-tiny", 51, 1.001, "llada steps=8 block=8" },
        { "llada-tiny", 474, 1.01, "fastdllm-dual steps=16 block=8" },
        { "llada-tiny", 51, 1.001, "fastdllm-nocache threshold=0.9 block=8" },
        { "llada-tiny", 474, 1.01, "fastdllm-dual threshold=0.9 block=8" },
        { "dream-tiny", 467, 1.01, "dream maskgit_plus steps=16" },
        { "dream-tiny", 467, 1.01, "dream topk_margin steps=16" },
        { "dream-tiny", 467, 1.01, "dream entropy steps=16" },
        { "dream-tiny", 467, 1.01, "dream confidence_threshold=0.9 steps=16" },
        { "dream-tiny", 274, 1.01, "dream confidence_threshold=0.5 steps=4" }, // declines on the last step add steps
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Engine_makes_the_reference_calls_and_keeps_the_mask_where_the_model_chose_it(string fixture, int token, double factor, string sampler)
    {
        using var model = MaskPredicting(fixture, token, factor);
        var (request, reference) = Scenario(model, sampler);

        var result = new DiffusionGenerator(model).Generate(request);

        Assert.True(reference.MaskCommits > 0, "the scenario must make the model commit its mask token");
        Assert.Equal(reference.Canvas.Skip(request.PromptTokens.Count).Select(t => (int)t), result.Canvas);
        Assert.Equal(reference.Calls, result.ForwardCalls);
        if (result.Canvas.Contains(model.Config.MaskTokenId))
        {
            Assert.Equal(DiffusionFinishReason.Length, result.FinishReason);
            Assert.Equal(result.Canvas.TakeWhile(t => t != model.Config.MaskTokenId), result.Tokens); // the answer ends at the first mask
        }
    }

    public static TheoryData<string, string, CacheMode, int> Policies() => new()
    {
        { "llada-tiny", "low-confidence", CacheMode.None, 16 },   // the schedule: steps
        { "llada-tiny", "low-confidence", CacheMode.Dual, 16 },
        { "llada-tiny", "low-confidence", CacheMode.Prefix, 16 },
        { "llada-tiny", "random", CacheMode.None, 16 },
        { "llada-tiny", "threshold", CacheMode.None, 16 },        // as many calls as each block had masks
        { "llada-tiny", "threshold", CacheMode.Dual, 16 },
        { "dream-tiny", "maskgit_plus", CacheMode.None, 8 },      // Dream: steps
        { "dream-tiny", "maskgit_plus", CacheMode.Dual, 8 },
        { "dream-tiny", "confidence_threshold", CacheMode.None, 8 },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void Model_that_only_predicts_its_mask_token_ends_with_a_length_finish_after_bounded_calls(string fixture, string policy, CacheMode cache, int calls)
    {
        using var inner = ModelLoader.Load(Fixtures.Path(fixture));
        using var model = new AlwaysMask(inner);
        var options = new DiffusionOptions
        {
            Steps = fixture == "llada-tiny" ? 16 : 8, BlockLength = fixture == "llada-tiny" ? 8 : null, Cache = cache,
            Policy = policy switch
            {
                "low-confidence" => new LowConfidenceRemasking(),
                "random" => new RandomRemasking(),
                "threshold" => new ConfidenceThresholdRemasking(0.9),
                "maskgit_plus" => new DreamRemasking(),
                _ => new DreamConfidenceThreshold(0.9),
            },
        };
        var prompt = fixture == "llada-tiny" ? LLaDAPrompt : DreamPrompt;

        var result = new DiffusionGenerator(model).Generate(new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 16, Options = options, Seed = 1 });

        Assert.Equal(DiffusionFinishReason.Length, result.FinishReason);
        Assert.Empty(result.Tokens);
        Assert.All(result.Canvas, t => Assert.Equal(model.Config.MaskTokenId, t));
        Assert.Equal(calls, result.ForwardCalls);
    }

    private static (GenerationRequest Request, ReferenceSamplers.Run Reference) Scenario(IDiffusionLanguageModel model, string sampler)
    {
        var words = sampler.Split(' ');
        int Get(string key) => int.Parse(words.Single(w => w.StartsWith(key + "=")).Split('=')[1]);
        double? threshold = words.FirstOrDefault(w => w.Contains("threshold=")) is { } t ? double.Parse(t.Split('=')[1]) : null;
        if (words[0] == "dream")
        {
            var algorithm = words[1].StartsWith("confidence_threshold") ? Algorithm.ConfidenceThreshold
                : words[1] == "topk_margin" ? Algorithm.TopKMargin : words[1] == "entropy" ? Algorithm.Entropy : Algorithm.MaskGitPlus;
            UnmaskingPolicy policy = algorithm switch
            {
                Algorithm.ConfidenceThreshold => new DreamConfidenceThreshold(threshold!.Value),
                Algorithm.TopKMargin => new DreamRemasking(DreamConfidence.TopKMargin),
                Algorithm.Entropy => new DreamRemasking(DreamConfidence.Entropy),
                _ => new DreamRemasking(),
            };
            var dream = new GenerationRequest
            {
                PromptTokens = DreamPrompt, MaxNewTokens = 16,
                Options = new DiffusionOptions { Steps = Get("steps"), Policy = policy, StopAtEndToken = false },
            };
            return (dream, ReferenceSamplers.Dream(model, DreamPrompt, 16, Get("steps"), algorithm, threshold ?? 0.9));
        }
        int steps = words.Any(w => w.StartsWith("steps=")) ? Get("steps") : 16, block = Get("block");
        bool dual = words[0] == "fastdllm-dual";
        var request = new GenerationRequest
        {
            PromptTokens = LLaDAPrompt, MaxNewTokens = 16,
            Options = new DiffusionOptions
            {
                Steps = steps, BlockLength = block, Cache = dual ? CacheMode.Dual : CacheMode.None, StopAtEndToken = false,
                Policy = threshold is { } thr ? new ConfidenceThresholdRemasking(thr) : new LowConfidenceRemasking(),
            },
        };
        var reference = words[0] == "llada"
            ? ReferenceSamplers.LLaDA(model, LLaDAPrompt, 16, steps, block)
            : ReferenceSamplers.FastDllm(model, LLaDAPrompt, 16, steps, block, threshold, dual);
        return (request, reference);
    }

    private static ReferenceSamplers.Run LLaDAReference(IDiffusionLanguageModel model, string algorithm, JsonElement p)
    {
        int steps = p.GetProperty("steps").GetInt32(), length = p.GetProperty("gen_length").GetInt32(), block = p.GetProperty("block_length").GetInt32();
        double? threshold = p.TryGetProperty("threshold", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        return algorithm == "llada_generate.generate"
            ? ReferenceSamplers.LLaDA(model, LLaDAPrompt, length, steps, block)
            : ReferenceSamplers.FastDllm(model, LLaDAPrompt, length, steps, block, threshold, algorithm.EndsWith("dual_cache"));
    }

    private static ReferenceSamplers.Run DreamReference(IDiffusionLanguageModel model, string algorithm, JsonElement p) =>
        ReferenceSamplers.Dream(model, DreamPrompt, p.GetProperty("max_new_tokens").GetInt32(), p.GetProperty("steps").GetInt32(), algorithm switch
        {
            "topk_margin" => Algorithm.TopKMargin,
            "entropy" => Algorithm.Entropy,
            "confidence_threshold" => Algorithm.ConfidenceThreshold,
            _ => Algorithm.MaskGitPlus,
        }, p.GetProperty("threshold").GetDouble());

    /// <summary>The fixture with lm_head[mask] = factor · lm_head[token]: the mask token's logit is the token's, scaled.</summary>
    private static IDiffusionLanguageModel MaskPredicting(string fixture, int token, double factor)
    {
        var model = ModelLoader.Load(Fixtures.Path(fixture));
        var head = ((nn.Module)model).named_parameters().Single(p => p.name is "model.transformer.ff_out.weight" or "lm_head.weight").parameter;
        using (no_grad()) head[model.Config.MaskTokenId].copy_(head[token] * factor);
        return model;
    }

    /// <summary>Every position's top candidate is the mask token, with probability near 1.</summary>
    private sealed class AlwaysMask(IDiffusionLanguageModel inner) : IDiffusionLanguageModel
    {
        public ModelConfig Config => inner.Config;
        public Device Device => inner.Device;
        public ScalarType DType => inner.DType;
        public KvCache CreateCache(long batch, long capacity) => inner.CreateCache(batch, capacity);

        public Tensor Forward(Tensor inputIds, ForwardOptions? options = null)
        {
            var logits = inner.Forward(inputIds, options);
            logits[.., .., Config.MaskTokenId] += 100;
            return logits;
        }

        public void Dispose() { }
    }
}
