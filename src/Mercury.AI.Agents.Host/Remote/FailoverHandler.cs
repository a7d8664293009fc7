using System.Net;
using System.Net.Http.Headers;

namespace Mercury.AI.Agents.Host.Remote;

/// <summary>
/// Sends each request to the endpoints of an <see cref="EndpointPool"/> in turn until one answers: requests are
/// addressed to <see cref="VirtualBase"/> and re-addressed here. A 429, a 5xx, a refused or dropped connection — or a
/// body cut off mid-way — marks the endpoint down and the same request (its body buffered once) goes to the next one.
/// A chat request has no side effects on a stateless server, so sending it again is safe. Streaming (SSE) bodies are
/// not buffered: once a stream has started, a failure reaches the caller.
/// </summary>
public sealed class FailoverHandler(EndpointPool pool) : DelegatingHandler(new SocketsHttpHandler())
{
    /// <summary>The base URL the OpenAI client is given; every request to it is sent to a real endpoint instead.</summary>
    public static readonly Uri VirtualBase = new("http://endpoint-pool.invalid/");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string relative = request.RequestUri!.PathAndQuery.TrimStart('/'); // VirtualBase has no path: all of it is relative
        byte[]? body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        HttpResponseMessage? lastResponse = null;
        Exception? lastError = null;
        foreach (var endpoint in pool.Order())
        {
            using var attempt = Clone(request, new Uri(endpoint.BaseUri, relative), body);
            try
            {
                var response = await base.SendAsync(attempt, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                {
                    pool.MarkDown(endpoint, $"HTTP {(int)response.StatusCode}");
                    lastResponse?.Dispose();
                    lastResponse = response;
                    continue;
                }
                if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                    await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false); // a cut-off body fails over too
                pool.MarkUp(endpoint); // it may have been down and tried as a last resort
                lastResponse?.Dispose();
                return response;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                pool.MarkDown(endpoint, e.Message);
                lastError = e;
            }
        }
        return lastResponse ?? throw new HttpRequestException($"No model endpoint answered ({string.Join(", ", pool.BaseUris)}): {lastError?.Message}", lastError);
    }

    private static HttpRequestMessage Clone(HttpRequestMessage request, Uri uri, byte[]? body)
    {
        var clone = new HttpRequestMessage(request.Method, uri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers) clone.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (body is not null)
        {
            clone.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers) clone.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            clone.Content.Headers.ContentLength = body.Length;
        }
        foreach (var option in request.Options) ((IDictionary<string, object?>)clone.Options)[option.Key] = option.Value;
        return clone;
    }
}
