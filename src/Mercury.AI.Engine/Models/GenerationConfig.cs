using System.Text.Json;
using System.Text.Json.Nodes;
using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Decoding;

namespace Mercury.AI.Engine.Models;

/// <summary>
/// A model folder's <c>generation_config.json</c>: how the model wants to be prompted and decoded when the caller does
/// not say. It is the one place such facts live (the server, the agent host and the trainer read them from here), as
/// Hugging Face keeps them beside <c>config.json</c>. Fields are Hugging Face's names where they exist (Dream's
/// <c>steps</c>, <c>alg</c>, <c>temperature</c>; LLaDA's <c>block_length</c>, <c>remasking</c>); the rest are ours:
/// <c>system_prompt</c>, <c>tool_format</c>, <c>threshold</c>, <c>cache</c>. Every field is optional.
/// </summary>
public sealed record GenerationConfig
{
    public const string FileName = "generation_config.json";

    public static GenerationConfig Empty { get; } = new();

    /// <summary>The system prompt the model was trained with; used when a conversation has no system message.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>How declared tools are written into the prompt: <c>qwen</c> (JSON signatures, the default) or <c>compact</c>
    /// (one signature line per function, for small models with a short context).</summary>
    public string? ToolFormat { get; init; }

    /// <summary>Answer canvas length when the request gives none (<c>max_new_tokens</c>).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Denoising steps over the whole answer (<c>steps</c>).</summary>
    public int? Steps { get; init; }

    /// <summary>Semi-autoregressive block length (<c>block_length</c>).</summary>
    public int? BlockLength { get; init; }

    /// <summary>The sampler: Dream's <c>alg</c> (<c>maskgit_plus</c>, <c>topk_margin</c>, <c>entropy</c>) or LLaDA's
    /// <c>remasking</c> (<c>low_confidence</c>, <c>random</c>), or <c>confidence_threshold</c> / <c>dream_threshold</c>.
    /// Dream's <c>origin</c> means "no default" here.</summary>
    public string? Algorithm { get; init; }

    /// <summary>Confidence threshold of the threshold samplers (<c>threshold</c>).</summary>
    public double? Threshold { get; init; }

    /// <summary>Fast-dLLM cache (<c>cache</c>: <c>none</c>, <c>prefix</c>, <c>dual</c>).</summary>
    public CacheMode? Cache { get; init; }

    /// <summary>Sampling temperature (<c>temperature</c>); 0 = greedy.</summary>
    public double? Temperature { get; init; }

    /// <summary>Reads <c>generation_config.json</c> from <paramref name="folder"/>; <see cref="Empty"/> when the folder has none.</summary>
    public static GenerationConfig Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return Empty;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) is JsonObject json
                ? FromJson(json, path)
                : throw new CheckpointException(path, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"is not valid JSON ({e.Message})", e);
        }
    }

    public static GenerationConfig FromJson(JsonObject json, string source = FileName)
    {
        string? alg = Text(json, "alg", source) ?? Text(json, "remasking", source);
        string? cache = Text(json, "cache", source);
        var config = new GenerationConfig
        {
            SystemPrompt = Text(json, "system_prompt", source),
            ToolFormat = Text(json, "tool_format", source),
            MaxNewTokens = Number<int>(json, "max_new_tokens", source),
            Steps = Number<int>(json, "steps", source),
            BlockLength = Number<int>(json, "block_length", source),
            Algorithm = alg is "origin" ? null : alg,
            Threshold = Number<double>(json, "threshold", source),
            Cache = cache is null ? null : Enum.TryParse<CacheMode>(cache, ignoreCase: true, out var mode) ? mode
                : throw new CheckpointException(source, $"'cache' must be none, prefix or dual (was '{cache}')"),
            Temperature = Number<double>(json, "temperature", source),
        };
        if (config.ToolFormat is not (null or "qwen" or "compact"))
            throw new CheckpointException(source, $"'tool_format' must be qwen or compact (was '{config.ToolFormat}')");
        if (config.MaxNewTokens < 1 || config.Steps < 1 || config.BlockLength < 1)
            throw new CheckpointException(source, "'max_new_tokens', 'steps' and 'block_length' must be at least 1");
        if (config.Threshold is { } t && !(t > 0 && t <= 1))
            throw new CheckpointException(source, $"'threshold' must be in (0, 1] (was {t})");
        return config;
    }

    private static string? Text(JsonObject json, string key, string source) => json[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw new CheckpointException(source, $"'{key}' must be a string (was {other.ToJsonString()})"),
    };

    private static T? Number<T>(JsonObject json, string key, string source) where T : struct => json[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<T>(out var n) => n,
        var other => throw new CheckpointException(source, $"'{key}' must be a {(typeof(T) == typeof(int) ? "whole number" : "number")} (was {other.ToJsonString()})"),
    };
}
