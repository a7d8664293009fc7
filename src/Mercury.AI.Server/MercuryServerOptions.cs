namespace Mercury.AI.Server;

/// <summary>Settings of the OpenAI-compatible server (section <c>Mercury:Server</c>, or <c>mercury-server</c> flags).</summary>
public sealed class MercuryServerOptions
{
    /// <summary>Model folder in HuggingFace layout; null = the embedded model (models/mercury-coder-tiny).</summary>
    public string? ModelPath { get; set; }

    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; set; } = "auto";

    /// <summary>The id clients send as <c>model</c>; default: the model folder's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>System prompt used when a request has none; null = the model folder's (<c>generation_config.json</c>
    /// <c>system_prompt</c>; the embedded model's is the one it was trained with).</summary>
    public string? DefaultSystemPrompt { get; set; }

    /// <summary>When set, every <c>/v1</c> request needs <c>Authorization: Bearer &lt;key&gt;</c>. Health and the playground page stay open.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Host names, besides the loopback ones, that <c>/v1</c> answers to when no <see cref="ApiKey"/> is set; others get
    /// 403 (DNS rebinding). mercury-server adds the hosts of its --urls. "*" allows any name.
    /// </summary>
    public IList<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Origins of web pages that may call <c>/v1</c> from a browser (CORS), besides the server's own page; requests from
    /// other origins get 403. "*" allows every page on the web to use this server: only with an API key.
    /// </summary>
    public IList<string> AllowedOrigins { get; set; } = [];

    /// <summary>Largest request body accepted; larger ones get 413 before they are parsed.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>Requests decoding at once (the chat client batches them; keep near its MaxBatchSize).</summary>
    public int MaxConcurrentRequests { get; set; } = 8;

    /// <summary>Requests that may wait for a decoding slot; one more is answered 429 at once.</summary>
    public int MaxQueuedRequests { get; set; } = 32;

    /// <summary>Upper bound on <c>max_tokens</c> a request may ask for.</summary>
    public int MaxOutputTokens { get; set; } = 1024;

    /// <summary>Serve the playground page at <c>/</c>.</summary>
    public bool EnablePlayground { get; set; } = true;

    internal void Validate()
    {
        if (MaxRequestBodyBytes < 1024) throw new ArgumentException($"MaxRequestBodyBytes must be at least 1024 (was {MaxRequestBodyBytes}).");
        if (MaxConcurrentRequests < 1) throw new ArgumentException($"MaxConcurrentRequests must be at least 1 (was {MaxConcurrentRequests}).");
        if (MaxQueuedRequests < 0) throw new ArgumentException($"MaxQueuedRequests must be at least 0 (was {MaxQueuedRequests}).");
        if (MaxOutputTokens < 1) throw new ArgumentException($"MaxOutputTokens must be at least 1 (was {MaxOutputTokens}).");
        if (AllowedOrigins.Contains("*") && ApiKey is not { Length: > 0 })
            throw new ArgumentException("AllowedOrigins '*' lets every web page use this server; it needs an API key.");
    }
}
