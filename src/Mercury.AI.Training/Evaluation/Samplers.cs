using System.Globalization;
using Mercury.AI.Chat;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Evaluation;

/// <summary>
/// A sampler setting to evaluate, as the chat client's request knobs: <c>default</c> (whatever the model folder says),
/// <c>onetok</c> (LLaDA low-confidence remasking, one token per step, no cache: the slowest, the reference), or
/// <c>thr0.9</c> (Fast-dLLM's confidence threshold with the dual cache).
/// </summary>
public sealed record SamplerSetting(string Name, DiffusionChatOptions? Knobs)
{
    public static SamplerSetting Parse(string name)
    {
        if (name == "default") return new(name, null);
        if (name == "onetok") return new(name, new DiffusionChatOptions { Algorithm = DiffusionAlgorithm.LowConfidence, Cache = CacheMode.None });
        if (name.StartsWith("thr", StringComparison.Ordinal) && double.TryParse(name[3..], NumberStyles.Float, CultureInfo.InvariantCulture, out double t))
            return new(name, new DiffusionChatOptions { Algorithm = DiffusionAlgorithm.ConfidenceThreshold, Threshold = t, Cache = CacheMode.Dual });
        throw new ArgumentException($"Unknown sampler '{name}': default, onetok or thr<threshold> (e.g. thr0.9).");
    }

    /// <summary>Chat options for one request: greedy, this sampler, at most <paramref name="maxTokens"/>.</summary>
    public ChatOptions Options(int maxTokens, ChatOptions? extra = null)
    {
        var options = extra?.Clone() ?? new ChatOptions();
        options.MaxOutputTokens = maxTokens;
        options.Temperature = 0;
        if (Knobs is not null) (options.AdditionalProperties ??= [])[DiffusionChatOptions.AdditionalPropertiesKey] = Knobs.Clone();
        return options;
    }
}
