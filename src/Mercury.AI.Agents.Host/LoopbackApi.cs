using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Host;

/// <summary>Settings of the HTTP API (configuration section "Agents:Api"; the port also from --port).</summary>
public sealed class LoopbackApiOptions
{
    public int Port { get; set; } = HostSettings.DefaultPort;

    /// <summary>The bearer token every route but /health needs; see <see cref="ApiToken"/>.</summary>
    public required string Token { get; set; }

    /// <summary>A request body must arrive within this time (and at Kestrel's minimum data rate), or the answer is 408.</summary>
    public TimeSpan BodyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Jobs accepted per minute through the API, with bursts of <see cref="SubmitBurst"/>; more get 429.</summary>
    public int SubmitsPerMinute { get; set; } = 30;

    public int SubmitBurst { get; set; } = 10;
}

/// <summary>
/// The HTTP API, on 127.0.0.1 only, served by Kestrel. Anything that can reach it could run code in the sandbox, so:
/// every route but /health needs <c>Authorization: Bearer &lt;token&gt;</c> (a web page cannot send that header across
/// origins without a CORS preflight, which this API never grants); a Host header other than the loopback address and
/// port (DNS rebinding) and any Origin but the API's own get 403; POST /jobs needs <c>Content-Type: application/json</c>
/// (415); bodies over 1 MiB get 413 and bodies slower than <see cref="LoopbackApiOptions.BodyTimeout"/> 408;
/// submissions are rate-limited (429). See <see cref="ApiRoutes"/> for the routes.
/// </summary>
public sealed class LoopbackApi(JobService jobs, LoopbackApiOptions options, AgentHostHealth health, ILogger<LoopbackApi> logger) : IHostedService, IAsyncDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private WebApplication? _app;

    public string Prefix { get; } = $"http://127.0.0.1:{options.Port}/";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = JobSpecParser.MaxWorkspaceJobBytes + 1024; // function jobs: the parser refuses over MaxFileBytes
            k.Limits.RequestHeadersTimeout = options.BodyTimeout;
            k.Limits.MinRequestBodyDataRate = new(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(2));
            k.Limits.MaxConcurrentConnections = 64;
        });
        var app = builder.Build();
        var routes = new ApiRoutes(jobs, options, health, Limiter, logger);
        app.Use(routes.GuardAsync);
        routes.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        logger.LogInformation("HTTP API listening on {Prefix} (token in {File} unless configured)", Prefix, ApiToken.FileName);
    }

    private RateLimiter Limiter { get; } = new TokenBucketRateLimiter(new()
    {
        TokenLimit = Math.Max(1, options.SubmitBurst),
        TokensPerPeriod = Math.Max(1, options.SubmitsPerMinute),
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
        Limiter.Dispose();
    }

    internal static async Task WriteAsync(HttpContext http, int status, object body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The body as text, strictly UTF-8; null when it did not arrive in time (the answer is then sent).</summary>
    internal static async Task<string?> ReadBodyAsync(HttpContext http, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(timeout);
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, deadline.Token).ConfigureAwait(false);
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            await WriteAsync(http, 408, new { errors = new[] { $"the request body did not arrive within {timeout.TotalSeconds:0} s" } }).ConfigureAwait(false);
            return null;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            await WriteAsync(http, 413, new { errors = new[] { $"the job is larger than {JobSpecParser.MaxWorkspaceJobBytes / 1024} KiB" } }).ConfigureAwait(false);
            return null;
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(http, e.StatusCode, new { errors = new[] { e.Message } }).ConfigureAwait(false);
            return null;
        }
        catch (DecoderFallbackException)
        {
            await WriteAsync(http, 400, new { errors = new[] { "the request body is not valid UTF-8" } }).ConfigureAwait(false);
            return null;
        }
    }
}
