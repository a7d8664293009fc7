using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Engine.Checkpoints;

namespace Mercury.AI.Engine.Models;

/// <summary>The model families the engine can run.</summary>
public enum ModelArchitecture
{
    /// <summary>LLaDA (<c>LLaDAModelLM</c>, keys <c>model.transformer.*</c>): predicts each masked position from itself.</summary>
    LLaDA,

    /// <summary>Dream (<c>DreamModel</c>, Qwen2 keys): predicts position i from the logits at i-1.</summary>
    Dream,
}

/// <summary>
/// One architecture-neutral view of a checkpoint's <c>config.json</c>. LLaDA and Dream name the same things
/// differently (<c>d_model</c> vs <c>hidden_size</c>, ...); everything downstream reads only this record.
/// </summary>
public sealed record ModelConfig
{
    public required ModelArchitecture Architecture { get; init; }
    public required int VocabSize { get; init; }           // rows of the embedding (LLaDA: embedding_size)
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public required int MaxSequenceLength { get; init; }
    public required int MaskTokenId { get; init; }
    /// <summary>Tokens that end generation: EOS and end-of-turn ids, from the config or the family's defaults.</summary>
    public required IReadOnlyList<int> EndTokenIds { get; init; }
    public int? PadTokenId { get; init; }
    public int? BosTokenId { get; init; }
    public bool QkvBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>LLaDA computes RoPE in float32 even when the model runs in bf16 (<c>rope_full_precision</c>).</summary>
    public bool RopeFullPrecision { get; init; } = true;
    public string? ModelType { get; init; }

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Reads and validates <c>config.json</c>; unknown architectures and unsupported options fail with the file named.</summary>
    public static ModelConfig FromFile(string configPath)
    {
        if (!File.Exists(configPath)) throw new CheckpointException(configPath, "config.json not found");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                ?? throw new CheckpointException(configPath, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(configPath, $"is not valid JSON ({e.Message})", e);
        }
        return FromJson(json, configPath);
    }

    public static ModelConfig FromJson(JsonObject json, string source = "config.json")
    {
        string? modelType = Str(source, json, "model_type");
        var architectures = json["architectures"] is JsonArray a
            ? a.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new CheckpointException(source, "'architectures' must be a list of strings")).ToArray()
            : [];
        bool isLLaDA = string.Equals(modelType, "llada", StringComparison.OrdinalIgnoreCase) || architectures.Any(x => x.StartsWith("LLaDA", StringComparison.Ordinal));
        bool isDream = string.Equals(modelType, "dream", StringComparison.OrdinalIgnoreCase) || architectures.Any(x => x.StartsWith("Dream", StringComparison.Ordinal));
        if (isLLaDA) return ReadLLaDA(json, source, modelType);
        if (isDream) return ReadDream(json, source, modelType);
        throw new CheckpointException(source,
            $"unknown architecture (model_type '{modelType ?? "none"}', architectures [{string.Join(", ", architectures)}]); supported: LLaDA (LLaDAModelLM) and Dream (DreamModel)");
    }

    private static ModelConfig ReadLLaDA(JsonObject j, string source, string? modelType)
    {
        Require(source, j, "block_type", "llama", "only the 'llama' (SwiGLU) block is supported");
        Require(source, j, "layer_norm_type", "rms", "only RMSNorm is supported");
        if (Bool(j, "alibi")) throw new CheckpointException(source, "alibi attention is not supported (rope is)");
        if (j["rope"] is not null && !Bool(j, "rope")) throw new CheckpointException(source, "models without RoPE are not supported");
        if (Bool(j, "input_emb_norm")) throw new CheckpointException(source, "input_emb_norm is not supported");
        if (Bool(j, "scale_logits")) throw new CheckpointException(source, "scale_logits is not supported");
        if (Bool(j, "include_bias")) throw new CheckpointException(source, "include_bias (biases on every linear) is not supported");
        if (Bool(j, "attention_layer_norm")) throw new CheckpointException(source, "attention_layer_norm (q/k norms) is not supported");
        if (j["clip_qkv"] is not null) throw new CheckpointException(source, "clip_qkv (clamped q/k/v) is not supported");
        string act = Str(source, j, "activation_type") ?? "silu";
        if (act is not ("silu" or "swiglu")) throw new CheckpointException(source, $"activation_type '{act}' is not supported (silu/swiglu are)");

        int d = Int(source, j, "d_model");
        int heads = Int(source, j, "n_heads");
        int mlp = j["mlp_hidden_size"] is JsonValue v && v.TryGetValue<int>(out int m) ? m : Int(source, j, "mlp_ratio") * d;
        int vocab = j["embedding_size"] is JsonValue e && e.TryGetValue<int>(out int es) ? es : Int(source, j, "vocab_size");
        var end = new List<int>();
        AddIds(j["eos_token_id"], end);
        AddIds(j["eot_token_id"], end);
        // LLaDA's instruct checkpoints end turns with <|eot_id|> (126348) and text with <|endoftext|> (126081).
        if (vocab > 126348) { if (!end.Contains(126081)) end.Add(126081); if (!end.Contains(126348)) end.Add(126348); }
        return Validate(source, new ModelConfig
        {
            Architecture = ModelArchitecture.LLaDA,
            ModelType = modelType,
            VocabSize = vocab,
            HiddenSize = d,
            NumLayers = Int(source, j, "n_layers"),
            NumHeads = heads,
            NumKeyValueHeads = j["n_kv_heads"] is JsonValue kv && kv.TryGetValue<int>(out int k) ? k : heads,
            IntermediateSize = mlp,
            RmsNormEps = Double(j, "rms_norm_eps", 1e-5),
            RopeTheta = Double(j, "rope_theta", 10000),
            MaxSequenceLength = Int(source, j, "max_sequence_length"),
            MaskTokenId = j["mask_token_id"] is JsonValue mk && mk.TryGetValue<int>(out int mid) ? mid : 126336,
            EndTokenIds = end,
            PadTokenId = OptInt(j, "pad_token_id"),
            BosTokenId = OptInt(j, "bos_token_id"),
            QkvBias = Bool(j, "include_qkv_bias"),
            TieWordEmbeddings = Bool(j, "weight_tying"),
            RopeFullPrecision = j["rope_full_precision"] is null || Bool(j, "rope_full_precision"),
        });
    }

    private static ModelConfig ReadDream(JsonObject j, string source, string? modelType)
    {
        if (Bool(j, "use_sliding_window")) throw new CheckpointException(source, "sliding-window attention is not supported");
        if (j["rope_scaling"] is JsonObject) throw new CheckpointException(source, "rope_scaling is not supported");
        string act = Str(source, j, "hidden_act") ?? "silu";
        if (act != "silu") throw new CheckpointException(source, $"hidden_act '{act}' is not supported (silu is)");
        int heads = Int(source, j, "num_attention_heads");
        int vocab = Int(source, j, "vocab_size");
        var end = new List<int>();
        AddIds(j["eos_token_id"], end);
        // Dream's chat turns end with <|im_end|> (151645); <|endoftext|> is 151643.
        if (vocab > 151645) { if (!end.Contains(151643)) end.Add(151643); if (!end.Contains(151645)) end.Add(151645); }
        return Validate(source, new ModelConfig
        {
            Architecture = ModelArchitecture.Dream,
            ModelType = modelType,
            VocabSize = vocab,
            HiddenSize = Int(source, j, "hidden_size"),
            NumLayers = Int(source, j, "num_hidden_layers"),
            NumHeads = heads,
            NumKeyValueHeads = j["num_key_value_heads"] is JsonValue kv && kv.TryGetValue<int>(out int k) ? k : heads,
            IntermediateSize = Int(source, j, "intermediate_size"),
            RmsNormEps = Double(j, "rms_norm_eps", 1e-6),
            RopeTheta = Double(j, "rope_theta", 10000),
            MaxSequenceLength = Int(source, j, "max_position_embeddings"),
            MaskTokenId = j["mask_token_id"] is JsonValue mk && mk.TryGetValue<int>(out int mid) ? mid : 151666,
            EndTokenIds = end,
            PadTokenId = OptInt(j, "pad_token_id"),
            BosTokenId = OptInt(j, "bos_token_id"),
            QkvBias = true,
            TieWordEmbeddings = Bool(j, "tie_word_embeddings"),
            RopeFullPrecision = false,
        });
    }

    private static ModelConfig Validate(string source, ModelConfig c)
    {
        foreach (var (what, value) in new[]
        {
            ("hidden size", c.HiddenSize), ("layer count", c.NumLayers), ("head count", c.NumHeads), ("key/value head count", c.NumKeyValueHeads),
            ("intermediate size", c.IntermediateSize), ("vocabulary size", c.VocabSize), ("max sequence length", c.MaxSequenceLength),
        })
            if (value <= 0) throw new CheckpointException(source, $"{what} is {value}; it must be positive");
        if (c.HiddenSize % c.NumHeads != 0) throw new CheckpointException(source, $"hidden size {c.HiddenSize} is not divisible by {c.NumHeads} heads");
        if (c.NumHeads % c.NumKeyValueHeads != 0) throw new CheckpointException(source, $"{c.NumHeads} heads are not divisible by {c.NumKeyValueHeads} key/value heads");
        if (c.HeadDim % 2 != 0) throw new CheckpointException(source, $"head dim {c.HeadDim} is odd; RoPE needs an even head dim");
        if (c.MaskTokenId < 0 || c.MaskTokenId >= c.VocabSize) throw new CheckpointException(source, $"mask_token_id {c.MaskTokenId} is outside the vocabulary (size {c.VocabSize})");
        return c;
    }

    private static void Require(string source, JsonObject j, string key, string expected, string why)
    {
        var value = Str(source, j, key);
        if (value is not null && !string.Equals(value, expected, StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException(source, $"{key} '{value}' is not supported: {why}");
    }

    private static string? Str(string source, JsonObject j, string key) => j[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new CheckpointException(source, $"'{key}' must be a string"),
    };

    private static int Int(string source, JsonObject j, string key) =>
        j[key] is JsonValue v && v.TryGetValue<int>(out int i) ? i
        : j[key] is JsonValue d && d.TryGetValue<double>(out double x) && x == Math.Floor(x) && x >= int.MinValue && x <= int.MaxValue ? (int)x
        : throw new CheckpointException(source, $"missing or non-integer '{key}'");

    private static int? OptInt(JsonObject j, string key) => j[key] is JsonValue v && v.TryGetValue<int>(out int i) ? i : null;

    private static double Double(JsonObject j, string key, double fallback) => j[key] is JsonValue v && v.TryGetValue<double>(out double d) ? d : fallback;

    private static bool Bool(JsonObject j, string key) => j[key] is JsonValue v && v.TryGetValue<bool>(out bool b) && b;

    private static void AddIds(JsonNode? node, List<int> ids)
    {
        if (node is JsonValue v && v.TryGetValue<int>(out int id)) { if (!ids.Contains(id)) ids.Add(id); }
        else if (node is JsonArray a) foreach (var n in a) AddIds(n, ids);
    }
}
