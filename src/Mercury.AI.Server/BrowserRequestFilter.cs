using Mercury.AI.Server.OpenAI;

namespace Mercury.AI.Server;

/// <summary>
/// What a web page may do with <c>/v1</c>. A browser sends an <c>Origin</c> with every cross-origin request; any origin
/// but the server's own (the playground) and those listed in <see cref="MercuryServerOptions.AllowedOrigins"/> is
/// refused with 403, so a page elsewhere cannot spend this machine's model. Without an API key the Host header must
/// also be one of <see cref="MercuryServerOptions.AllowedHosts"/> (loopback names by default): a page cannot reach
/// the server by pointing a name it controls at 127.0.0.1 (DNS rebinding), since its requests then carry that name.
/// Allowed origins get CORS headers, preflights included.
/// </summary>
internal sealed class BrowserRequestFilter(MercuryServerOptions options) : IEndpointFilter
{
    private static readonly string[] s_loopback = ["localhost", "127.0.0.1", "[::1]", "::1"];

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (options.ApiKey is not { Length: > 0 } && !IsAllowedHost(request.Host.Host))
            return Refuse(new OpenAIError(403,
                $"This server does not answer to the host name '{request.Host.Host}'. Without an API key it answers only to " +
                $"{string.Join(", ", AllowedHosts)} (DNS rebinding protection); add a name with --allowed-hosts, or set an API key.",
                type: "permission_error", code: "host_not_allowed"));

        string origin = request.Headers.Origin.ToString();
        bool preflight = HttpMethods.IsOptions(request.Method);
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase))
        {
            if (!options.AllowedOrigins.Any(o => o == "*" || string.Equals(o, origin, StringComparison.OrdinalIgnoreCase)))
                return Refuse(new OpenAIError(403,
                    $"Cross-origin requests from {origin} are refused. A browser client's origin must be listed with --allowed-origins.",
                    type: "permission_error", code: "origin_not_allowed"));
            http.Response.Headers.AccessControlAllowOrigin = origin;
            http.Response.Headers.Vary = "Origin";
            if (preflight)
            {
                http.Response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
                http.Response.Headers.AccessControlAllowHeaders = request.Headers.AccessControlRequestHeaders.Count > 0
                    ? request.Headers.AccessControlRequestHeaders.ToString() : "authorization, content-type";
                http.Response.Headers.AccessControlMaxAge = "600";
                return ValueTask.FromResult<object?>(Results.NoContent());
            }
        }
        return preflight ? ValueTask.FromResult<object?>(Results.NoContent()) : next(context);
    }

    private IEnumerable<string> AllowedHosts => s_loopback.Concat(options.AllowedHosts);

    private bool IsAllowedHost(string host) => AllowedHosts.Any(h => h == "*" || string.Equals(h, host, StringComparison.OrdinalIgnoreCase)
        || string.Equals(h.Trim('[', ']'), host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase));

    private static ValueTask<object?> Refuse(OpenAIError error) => ValueTask.FromResult<object?>(error.ToResult());
}
