using System.Text.Json.Nodes;

namespace Mercury.AI.Server.OpenAI;

/// <summary>OpenAI's streaming wire format: <c>data: {json}\n\n</c> per event, <c>data: [DONE]</c> last, flushed per event.</summary>
internal sealed class ServerSentEvents
{
    private readonly HttpResponse _response;

    private ServerSentEvents(HttpResponse response) => _response = response;

    public static ServerSentEvents Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        return new ServerSentEvents(response);
    }

    public async Task WriteAsync(JsonNode data, CancellationToken cancellationToken)
    {
        await _response.WriteAsync("data: " + data.ToJsonString() + "\n\n", cancellationToken).ConfigureAwait(false);
        await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task DoneAsync(CancellationToken cancellationToken) => _response.WriteAsync("data: [DONE]\n\n", cancellationToken);
}
