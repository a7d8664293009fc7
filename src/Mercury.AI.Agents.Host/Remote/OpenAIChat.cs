using System.ClientModel;
using System.Text.Json;
using Mercury.AI.Agents.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace Mercury.AI.Agents.Host.Remote;

/// <summary>
/// <c>--chat openai:&lt;base-url&gt;[,&lt;base-url&gt;...]</c>: the host's model is an OpenAI-compatible endpoint — a
/// mercury-server on a GPU machine, several of them, or a hosted model — through Microsoft.Extensions.AI.OpenAI over an
/// <see cref="EndpointPool"/>. The key comes from OPENAI_API_KEY (mercury-server: the one given to --api-key).
/// </summary>
public static class OpenAIChat
{
    public const string Prefix = "openai:";

    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>The key from the environment; a server without a key accepts any, so none is a placeholder.</summary>
    public static string ApiKey => Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key : "no-key";

    public static IChatClient Create(EndpointPool pool, string model, ILoggerFactory? loggerFactory = null)
    {
        var http = new HttpClient(new FailoverHandler(pool)) { Timeout = Timeout.InfiniteTimeSpan }; // the SDK's own timeout applies
        var client = new OpenAIClient(new ApiKeyCredential(ApiKey), new OpenAIClientOptions
        {
            Endpoint = FailoverHandler.VirtualBase,
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http),
            NetworkTimeout = TimeSpan.FromMinutes(10), // a long answer from a busy GPU server
        });
        // Spans for each model call, under the host's source; HttpClient carries the trace to the server (traceparent).
        return client.GetChatClient(model).AsIChatClient().AsBuilder()
            .UseOpenTelemetry(loggerFactory, AgentTelemetry.Name)
            .Build();
    }

    /// <summary>The first model the first answering endpoint lists (<c>GET {base}/models</c>), when none is configured.</summary>
    public static async Task<string> DiscoverModelAsync(IReadOnlyList<Uri> baseUris, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var problems = new List<string>();
        foreach (var baseUri in baseUris)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(baseUri.AbsoluteUri.TrimEnd('/') + "/"), "models"));
                request.Headers.Authorization = new("Bearer", ApiKey);
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode) { problems.Add($"{baseUri}: HTTP {(int)response.StatusCode}"); continue; }
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                if (json.RootElement.TryGetProperty("data", out var data) && data.GetArrayLength() > 0 && data[0].GetProperty("id").GetString() is { } id)
                    return id;
                problems.Add($"{baseUri}: lists no model");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                problems.Add($"{baseUri}: {e.Message}");
            }
        }
        throw new InvalidOperationException("no model endpoint answered GET /models (" + string.Join("; ", problems) + "); start one or name the model with --chat-model");
    }
}
