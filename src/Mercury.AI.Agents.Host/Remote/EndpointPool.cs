using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Host.Remote;

/// <summary>Settings of an <see cref="EndpointPool"/>.</summary>
public sealed class EndpointPoolOptions
{
    /// <summary>How often an endpoint marked down is probed (<c>GET {base}/models</c>) to bring it back.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Sent as <c>Authorization: Bearer</c> on probes (requests carry the client's own header).</summary>
    public string? ApiKey { get; set; }
}

/// <summary>
/// Several stateless replicas of one OpenAI-compatible service (mercury-server processes, or any provider's regional
/// endpoints): requests go round robin over the endpoints that are up; an endpoint that answers 429 or 5xx or cannot
/// be reached is marked down and the request moves on to the next (<see cref="FailoverHandler"/>); a background probe
/// brings it back once <c>GET {base}/models</c> answers 2xx. Thread-safe.
/// </summary>
public sealed class EndpointPool : IAsyncDisposable
{
    private readonly Endpoint[] _endpoints;
    private readonly EndpointPoolOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _probe;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _prober;
    private int _next = -1;

    public EndpointPool(IReadOnlyList<Uri> baseUris, EndpointPoolOptions? options = null, ILogger? logger = null, HttpMessageHandler? probeHandler = null)
    {
        if (baseUris.Count == 0) throw new ArgumentException("An endpoint pool needs at least one base URL.", nameof(baseUris));
        _endpoints = baseUris.Select(u => new Endpoint(new Uri(u.AbsoluteUri.TrimEnd('/') + "/"))).ToArray();
        _options = options ?? new EndpointPoolOptions();
        _logger = logger ?? NullLogger.Instance;
        _probe = new HttpClient(probeHandler ?? new SocketsHttpHandler(), disposeHandler: probeHandler is null) { Timeout = TimeSpan.FromSeconds(5) };
        _prober = Task.Run(() => ProbeLoopAsync(_stop.Token));
    }

    /// <summary>Parses <c>url[,url...]</c>; each must be an absolute http(s) URL.</summary>
    public static IReadOnlyList<Uri> ParseList(string list)
    {
        var uris = new List<Uri>();
        foreach (string part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"'{part}' is not an http(s) base URL (for example http://gpu-1:5290/v1).");
            uris.Add(uri);
        }
        return uris.Count > 0 ? uris : throw new ArgumentException("openai: needs at least one base URL, for example openai:http://127.0.0.1:5290/v1");
    }

    public IReadOnlyList<Uri> BaseUris => _endpoints.Select(e => e.BaseUri).ToArray();

    /// <summary>The endpoints to try for one request: those up, round robin, then those down as a last resort.</summary>
    internal IEnumerable<Endpoint> Order()
    {
        var up = _endpoints.Where(e => e.IsUp).ToList();
        int start = up.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)up.Count);
        return up.Skip(start).Concat(up.Take(start)).Concat(_endpoints.Where(e => !up.Contains(e)));
    }

    /// <summary>Whether <paramref name="baseUri"/> is taken to be up now.</summary>
    public bool IsUp(Uri baseUri) => _endpoints.Single(e => e.BaseUri.AbsoluteUri == baseUri.AbsoluteUri.TrimEnd('/') + "/").IsUp;

    internal void MarkDown(Endpoint endpoint, string reason)
    {
        if (Interlocked.Exchange(ref endpoint.Down, 1) == 0)
            _logger.LogWarning("Model endpoint {Endpoint} is down ({Reason}); failing over", endpoint.BaseUri, reason);
    }

    internal void MarkUp(Endpoint endpoint)
    {
        if (Interlocked.Exchange(ref endpoint.Down, 0) == 1)
            _logger.LogInformation("Model endpoint {Endpoint} is up again", endpoint.BaseUri);
    }

    private async Task ProbeLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.ProbeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                foreach (var endpoint in _endpoints.Where(e => !e.IsUp))
                    if (await ProbeAsync(endpoint, stop).ConfigureAwait(false)) MarkUp(endpoint);
        }
        catch (OperationCanceledException) { }
    }

    private async Task<bool> ProbeAsync(Endpoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.BaseUri, "models"));
            if (_options.ApiKey is { Length: > 0 } key) request.Headers.Authorization = new("Bearer", key);
            using var response = await _probe.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _prober.ConfigureAwait(false);
        _probe.Dispose();
        _stop.Dispose();
    }

    internal sealed class Endpoint(Uri baseUri)
    {
        public Uri BaseUri { get; } = baseUri;

        public int Down;

        public bool IsUp => Volatile.Read(ref Down) == 0;
    }
}
