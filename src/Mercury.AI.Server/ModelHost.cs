using Mercury.AI.Chat;
using Mercury.AI.Server.OpenAI;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Server;

/// <summary>
/// Loads the chat client in the background when the host starts, so <c>/health/live</c> answers at once and
/// <c>/health/ready</c> turns 200 when the weights are in memory (an 8B checkpoint takes a while). Requests that come
/// earlier get 503 <c>model_loading</c>; a failed load is reported by both, with its message.
/// </summary>
public sealed class ModelHost(Func<IChatClient> load, MercuryServerOptions options, ILogger<ModelHost> logger) : IHostedService, IDisposable
{
    private Task<IChatClient>? _loading;

    public bool IsReady => _loading is { IsCompletedSuccessfully: true };

    /// <summary>The load failure, once it failed.</summary>
    public Exception? LoadError => _loading is { IsFaulted: true } t ? t.Exception!.InnerException ?? t.Exception : null;

    /// <summary>The id clients send as <c>model</c> (known once loaded).</summary>
    public string? ModelId { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(() =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var client = load();
                ModelId = options.ModelId
                    ?? client.GetService<DiffusionChatClient>()?.ModelId
                    ?? client.GetService<ChatClientMetadata>()?.DefaultModelId
                    ?? "mercury";
                logger.LogInformation("Model {ModelId} ready after {Seconds:F1} s.", ModelId, started.Elapsed.TotalSeconds);
                return client;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Loading the model failed; the server stays up and answers 503.");
                throw;
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits for the load (tests, and <c>--wait</c> style callers).</summary>
    public Task<IChatClient> WhenReadyAsync() => _loading ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>The client for a request naming <paramref name="model"/>: 503 while loading or after a failed load, 404 for another model.</summary>
    public IChatClient GetClient(string? model)
    {
        if (_loading is not { IsCompletedSuccessfully: true })
        {
            throw LoadError is { } error
                ? new OpenAIError(503, $"The model failed to load: {error.Message}", type: "server_error", code: "model_load_failed")
                : new OpenAIError(503, "The model is still loading; retry when /health/ready answers 200.", type: "server_error", code: "model_loading");
        }
        if (model is not null && !string.Equals(model, ModelId, StringComparison.OrdinalIgnoreCase))
            throw new OpenAIError(404, $"The model '{model}' does not exist on this server; it serves '{ModelId}'.", param: "model", code: "model_not_found");
        return _loading.Result;
    }

    public void Dispose()
    {
        if (_loading is { IsCompletedSuccessfully: true }) _loading.Result.Dispose();
    }
}
