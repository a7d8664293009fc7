using System.Net;
using System.Text;
using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// The HTTP API, on 127.0.0.1 only (no authentication: anyone who can reach it can run code in the sandbox).
/// <code>
/// GET  /health                      → {"status":"ok"}
/// GET  /jobs                        → [JobView]
/// POST /jobs            (job JSON)  → 201 {"id": ...} | 400 {"errors": [...]} | 413
/// GET  /jobs/{id}                   → JobView | 404
/// GET  /jobs/{id}/iterations        → [IterationView]
/// POST /jobs/{id}/cancel            → {"result": "cancelled" | "cancelRequested" | "alreadyFinished"} | 404
/// </code>
/// </summary>
public sealed class LoopbackApi(JobService jobs, int port, ILogger<LoopbackApi> logger) : BackgroundService
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Prefix { get; } = $"http://127.0.0.1:{port}/";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add(Prefix);
        listener.Start();
        logger.LogInformation("HTTP API listening on {Prefix}", Prefix);
        using var registration = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception) when (stoppingToken.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            _ = Task.Run(() => HandleAsync(context, stoppingToken), CancellationToken.None);
        }
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        var response = context.Response;
        try
        {
            var (status, body) = await RouteAsync(context.Request, cancellationToken).ConfigureAwait(false);
            await WriteAsync(response, status, body).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogError(e, "HTTP {Method} {Url} failed", context.Request.HttpMethod, context.Request.Url);
            try { await WriteAsync(response, 500, new { error = e.Message }).ConfigureAwait(false); } catch (Exception) { }
        }
    }

    internal async Task<(int Status, object Body)> RouteAsync(HttpListenerRequest request, CancellationToken ct)
    {
        string[] parts = request.Url!.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string method = request.HttpMethod;
        switch (parts)
        {
            case ["health"] when method == "GET":
                return (200, new { status = "ok" });
            case ["jobs"] when method == "GET":
                return (200, await jobs.ListAsync(ct).ConfigureAwait(false));
            case ["jobs"] when method == "POST":
                if (request.ContentLength64 > JobSpecParser.MaxFileBytes)
                    return (413, new { errors = new[] { $"the job is larger than {JobSpecParser.MaxFileBytes / 1024} KiB" } });
                string json;
                using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
                {
                    var buffer = new char[JobSpecParser.MaxFileBytes + 1];
                    int read = await reader.ReadBlockAsync(buffer, ct).ConfigureAwait(false);
                    if (read > JobSpecParser.MaxFileBytes)
                        return (413, new { errors = new[] { $"the job is larger than {JobSpecParser.MaxFileBytes / 1024} KiB" } });
                    json = new string(buffer, 0, read);
                }
                try
                {
                    string id = await jobs.SubmitJsonAsync(json, ct).ConfigureAwait(false);
                    return (201, new { id });
                }
                catch (JobSpecException e)
                {
                    return (400, new { errors = e.Problems });
                }
            case ["jobs", var id] when method == "GET":
                return await jobs.GetAsync(id, ct).ConfigureAwait(false) is { } view ? (200, view) : (404, new { error = $"no job {id}" });
            case ["jobs", var id, "iterations"] when method == "GET":
                return await jobs.GetAsync(id, ct).ConfigureAwait(false) is null
                    ? (404, new { error = $"no job {id}" })
                    : (200, await jobs.IterationsAsync(id, ct).ConfigureAwait(false));
            case ["jobs", var id, "cancel"] when method == "POST":
                var result = await jobs.Store.CancelAsync(id, ct).ConfigureAwait(false);
                return result == CancelResult.NotFound
                    ? (404, new { error = $"no job {id}" })
                    : (200, new { result = JsonNamingPolicy.CamelCase.ConvertName(result.ToString()) });
            default:
                return (404, new { error = $"no route {method} {request.Url.AbsolutePath}" });
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, object body)
    {
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        response.Close();
    }
}
