using System.Diagnostics;
using System.Text.Json.Nodes;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Models;

/// <summary>
/// Golden shapes: the published 7–8B configs, built on the meta device (shapes and dtypes, no memory), give exactly
/// the state-dict keys and shapes of the published checkpoints, so a real download loads without a missing, extra or
/// mis-shaped tensor.
/// </summary>
public class ArchitectureShapeTests
{
    // config.json of GSAI-ML/LLaDA-8B-Instruct (the keys the engine reads, with their published values).
    private const string LLaDA8BInstructConfig = """
        {
          "architectures": ["LLaDAModelLM"],
          "model_type": "llada",
          "d_model": 4096,
          "n_heads": 32,
          "n_kv_heads": 32,
          "n_layers": 32,
          "mlp_hidden_size": 12288,
          "mlp_ratio": 4,
          "vocab_size": 126464,
          "embedding_size": 126464,
          "rope": true,
          "rope_theta": 500000.0,
          "rope_full_precision": true,
          "max_sequence_length": 4096,
          "mask_token_id": 126336,
          "eos_token_id": 126081,
          "pad_token_id": 126081,
          "block_type": "llama",
          "layer_norm_type": "rms",
          "rms_norm_eps": 1e-05,
          "activation_type": "silu",
          "alibi": false,
          "include_bias": false,
          "include_qkv_bias": false,
          "input_emb_norm": false,
          "scale_logits": false,
          "weight_tying": false
        }
        """;

    // config.json of Dream-org/Dream-v0-Instruct-7B (Qwen2.5-7B shapes).
    private const string DreamV0Instruct7BConfig = """
        {
          "architectures": ["DreamModel"],
          "model_type": "Dream",
          "hidden_size": 3584,
          "intermediate_size": 18944,
          "num_hidden_layers": 28,
          "num_attention_heads": 28,
          "num_key_value_heads": 4,
          "vocab_size": 152064,
          "hidden_act": "silu",
          "rms_norm_eps": 1e-06,
          "rope_theta": 1000000.0,
          "rope_scaling": null,
          "max_position_embeddings": 131072,
          "mask_token_id": 151666,
          "pad_token_id": 151643,
          "bos_token_id": 151643,
          "eos_token_id": 151643,
          "tie_word_embeddings": false,
          "use_sliding_window": false,
          "sliding_window": null
        }
        """;

    private static ModelConfig LLaDA8B => ModelConfig.FromJson(JsonNode.Parse(LLaDA8BInstructConfig)!.AsObject(), "LLaDA-8B-Instruct/config.json");

    private static ModelConfig Dream7B => ModelConfig.FromJson(JsonNode.Parse(DreamV0Instruct7BConfig)!.AsObject(), "Dream-v0-Instruct-7B/config.json");

    [Fact]
    public void Meta_device_is_supported_by_TorchSharp()
    {
        using var t = empty([126464, 4096], ScalarType.BFloat16, META);
        Assert.Equal(DeviceType.META, t.device_type);
        Assert.Equal(new long[] { 126464, 4096 }, t.shape);
        Assert.Equal(DeviceType.META, new Device("meta").type);
    }

    [Fact]
    public void Published_configs_are_read_into_the_expected_model_config()
    {
        var llada = LLaDA8B;
        Assert.Equal(ModelArchitecture.LLaDA, llada.Architecture);
        Assert.Equal((126464, 4096, 32, 32, 32, 12288, 128), (llada.VocabSize, llada.HiddenSize, llada.NumLayers, llada.NumHeads, llada.NumKeyValueHeads, llada.IntermediateSize, llada.HeadDim));
        Assert.Equal((500000.0, 4096, 126336), (llada.RopeTheta, llada.MaxSequenceLength, llada.MaskTokenId));
        Assert.Equal(new[] { 126081, 126348 }, llada.EndTokenIds); // eos + LLaDA's <|eot_id|>
        Assert.False(llada.TieWordEmbeddings);
        Assert.False(llada.QkvBias);
        Assert.True(llada.RopeFullPrecision);

        var dream = Dream7B;
        Assert.Equal(ModelArchitecture.Dream, dream.Architecture);
        Assert.Equal((152064, 3584, 28, 28, 4, 18944, 128), (dream.VocabSize, dream.HiddenSize, dream.NumLayers, dream.NumHeads, dream.NumKeyValueHeads, dream.IntermediateSize, dream.HeadDim));
        Assert.Equal((1000000.0, 131072, 151666), (dream.RopeTheta, dream.MaxSequenceLength, dream.MaskTokenId));
        Assert.Equal(new[] { 151643, 151645 }, dream.EndTokenIds); // <|endoftext|> + <|im_end|>
        Assert.False(dream.TieWordEmbeddings);
        Assert.True(dream.QkvBias);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LLaDA_8B_Instruct_has_the_published_state_dict(bool trainable)
    {
        var top = new Dictionary<string, long[]>
        {
            ["model.transformer.wte.weight"] = [126464, 4096],
            ["model.transformer.ln_f.weight"] = [4096],
            ["model.transformer.ff_out.weight"] = [126464, 4096],
        };
        var block = new Dictionary<string, long[]>
        {
            ["attn_norm.weight"] = [4096],
            ["q_proj.weight"] = [4096, 4096],
            ["k_proj.weight"] = [4096, 4096],
            ["v_proj.weight"] = [4096, 4096],
            ["attn_out.weight"] = [4096, 4096],
            ["ff_norm.weight"] = [4096],
            ["ff_proj.weight"] = [12288, 4096],
            ["up_proj.weight"] = [12288, 4096],
            ["ff_out.weight"] = [4096, 12288],
        };
        var shapes = BuildOnMeta(LLaDA8B, trainable);
        AssertStateDict(shapes, top, "model.transformer.blocks.", layers: 32, block,
            expectedTensors: 291, expectedParameters: 8_015_581_184L);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dream_v0_Instruct_7B_has_the_published_state_dict(bool trainable)
    {
        var top = new Dictionary<string, long[]>
        {
            ["model.embed_tokens.weight"] = [152064, 3584],
            ["model.norm.weight"] = [3584],
            ["lm_head.weight"] = [152064, 3584],
        };
        var block = new Dictionary<string, long[]>
        {
            ["input_layernorm.weight"] = [3584],
            ["self_attn.q_proj.weight"] = [3584, 3584],
            ["self_attn.q_proj.bias"] = [3584],
            ["self_attn.k_proj.weight"] = [512, 3584],
            ["self_attn.k_proj.bias"] = [512],
            ["self_attn.v_proj.weight"] = [512, 3584],
            ["self_attn.v_proj.bias"] = [512],
            ["self_attn.o_proj.weight"] = [3584, 3584],
            ["post_attention_layernorm.weight"] = [3584],
            ["mlp.gate_proj.weight"] = [18944, 3584],
            ["mlp.up_proj.weight"] = [18944, 3584],
            ["mlp.down_proj.weight"] = [3584, 18944],
        };
        var shapes = BuildOnMeta(Dream7B, trainable);
        // Qwen2.5-7B's published size: 7.62B parameters.
        AssertStateDict(shapes, top, "model.layers.", layers: 28, block,
            expectedTensors: 339, expectedParameters: 7_615_616_512L);
    }

    [Fact]
    public void Tied_embeddings_drop_the_separate_head()
    {
        var llada = BuildOnMeta(LLaDA8B with { TieWordEmbeddings = true }, trainable: false);
        Assert.DoesNotContain("model.transformer.ff_out.weight", llada.Keys);
        Assert.Equal(290, llada.Count);
        var dream = BuildOnMeta(Dream7B with { TieWordEmbeddings = true }, trainable: false);
        Assert.DoesNotContain("lm_head.weight", dream.Keys);
        Assert.Equal(338, dream.Count);
    }

    /// <summary>Builds the model on the meta device in bf16 and returns its parameters' shapes by key.</summary>
    private static Dictionary<string, long[]> BuildOnMeta(ModelConfig config, bool trainable)
    {
        var stopwatch = Stopwatch.StartNew();
        using var model = ModelLoader.Create(config, new ModelBuildOptions { Device = META, DType = ScalarType.BFloat16, Trainable = trainable });
        Assert.Equal(DeviceType.META, model.Device.type);
        Assert.Equal(ScalarType.BFloat16, model.DType);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.Equal(DeviceType.META, parameter.device_type);
            Assert.Equal(ScalarType.BFloat16, parameter.dtype);
            Assert.Equal(trainable, parameter.requires_grad);
            shapes.Add(name, parameter.shape);
        }
        // Nothing is allocated on meta; building a 7-8B model must stay cheap (the RoPE tables are the only real work).
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"building on meta took {stopwatch.Elapsed}");
        return shapes;
    }

    private static void AssertStateDict(Dictionary<string, long[]> actual, Dictionary<string, long[]> top, string blockPrefix, int layers,
        Dictionary<string, long[]> block, int expectedTensors, long expectedParameters)
    {
        Assert.Equal(expectedTensors, actual.Count);
        Assert.Equal(top.Count + layers * block.Count, expectedTensors);

        // Top level: exact keys and shapes.
        var actualTop = actual.Where(p => !p.Key.StartsWith(blockPrefix, StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(top.Keys.Order(StringComparer.Ordinal), actualTop.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in top) Assert.True(shape.SequenceEqual(actualTop[key]), $"{key}: [{string.Join(", ", actualTop[key])}] != [{string.Join(", ", shape)}]");

        // Every block, 0 included: exactly the block key set with the block shapes.
        for (int i = 0; i < layers; i++)
        {
            string prefix = $"{blockPrefix}{i}.";
            var actualBlock = actual.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);
            Assert.Equal(block.Keys.Order(StringComparer.Ordinal), actualBlock.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, shape) in block)
                Assert.True(shape.SequenceEqual(actualBlock[key]), $"{prefix}{key}: [{string.Join(", ", actualBlock[key])}] != [{string.Join(", ", shape)}]");
        }

        long total = actual.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b));
        long fromSpec = top.Values.Concat(Enumerable.Repeat(block.Values, layers).SelectMany(v => v)).Sum(s => s.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(expectedParameters, fromSpec);
        Assert.Equal(expectedParameters, total);
    }
}
