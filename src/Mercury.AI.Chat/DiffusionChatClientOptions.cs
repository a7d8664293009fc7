using Mercury.AI.Chat.Templates;

namespace Mercury.AI.Chat;

/// <summary>
/// How a <see cref="DiffusionChatClient"/> loads its model and serves requests. Bindable from configuration
/// (e.g. an <c>appsettings.json</c> section: <c>{ "ModelPath": "...", "Device": "cuda", "Diffusion": { "Steps": 64 } }</c>).
/// </summary>
public sealed class DiffusionChatClientOptions
{
    /// <summary>The checkpoint folder (config.json + safetensors). Null: the embedded model (<see cref="Engine.EmbeddedModel"/>).</summary>
    public string? ModelPath { get; set; }

    /// <summary>A tokenizer.json file or folder. Null: the model folder.</summary>
    public string? TokenizerPath { get; set; }

    /// <summary>Load this weights file of the folder instead of the default (e.g. <c>model.bf16.safetensors</c>).</summary>
    public string? WeightsFileName { get; set; }

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Reported as <c>ChatResponse.ModelId</c>. Null: the model folder's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>The prompt format. <see cref="ChatTemplateKind.Auto"/> picks it from the tokenizer's special tokens.</summary>
    public ChatTemplateKind Template { get; set; } = ChatTemplateKind.Auto;

    /// <summary>System prompt used when a conversation has none. Null: the model folder's (<c>generation_config.json</c>
    /// <c>system_prompt</c>), else the template's (Dream: "You are a helpful assistant.").</summary>
    public string? DefaultSystemPrompt { get; set; }

    /// <summary>Answer length when <c>ChatOptions.MaxOutputTokens</c> is not set. A diffusion canvas has a fixed
    /// length, so this is also the cost of every request. Null: the model folder's <c>max_new_tokens</c>, else
    /// <see cref="FallbackMaxOutputTokens"/>.</summary>
    public int? DefaultMaxOutputTokens { get; set; }

    /// <summary>The answer length when neither the request, these options nor the model folder give one.</summary>
    public const int FallbackMaxOutputTokens = 128;

    /// <summary>Requests that may wait for the decode loop; one more gets <see cref="DiffusionQueueFullException"/>.</summary>
    public int QueueCapacity { get; set; } = 64;

    /// <summary>Most requests decoded together in one batch.</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>Generations tried per request in JSON mode before giving up with <see cref="DiffusionJsonException"/>.</summary>
    public int JsonAttempts { get; set; } = 3;

    /// <summary>Diffusion knobs applied to every request (per-request values win; unset ones fall back to the model
    /// folder's <c>generation_config.json</c>, then the engine's defaults).</summary>
    public DiffusionChatOptions Diffusion { get; set; } = new();

    public DiffusionChatClientOptions Clone()
    {
        var clone = (DiffusionChatClientOptions)MemberwiseClone();
        clone.Diffusion = Diffusion.Clone();
        return clone;
    }

    internal void Validate()
    {
        if (DefaultMaxOutputTokens is < 1) throw new ArgumentException($"DefaultMaxOutputTokens must be at least 1 (was {DefaultMaxOutputTokens}).");
        if (QueueCapacity < 1) throw new ArgumentException($"QueueCapacity must be at least 1 (was {QueueCapacity}).");
        if (MaxBatchSize < 1) throw new ArgumentException($"MaxBatchSize must be at least 1 (was {MaxBatchSize}).");
        if (JsonAttempts < 1) throw new ArgumentException($"JsonAttempts must be at least 1 (was {JsonAttempts}).");
    }
}

/// <summary>The decode queue already holds <see cref="DiffusionChatClientOptions.QueueCapacity"/> requests.</summary>
public sealed class DiffusionQueueFullException(int capacity)
    : InvalidOperationException($"The diffusion decode queue is full ({capacity} requests waiting). Retry later, or raise DiffusionChatClientOptions.QueueCapacity.")
{
    public int Capacity { get; } = capacity;
}

/// <summary>JSON mode produced no valid JSON within <see cref="DiffusionChatClientOptions.JsonAttempts"/> generations.</summary>
public sealed class DiffusionJsonException(string message, string lastOutput) : InvalidOperationException(message)
{
    /// <summary>The text of the last attempt.</summary>
    public string LastOutput { get; } = lastOutput;
}
