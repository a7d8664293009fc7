using System.Text.Json;
using System.Threading.RateLimiting;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// The routes of the loopback API and the checks in front of them.
/// <code>
/// GET  /health                      → 200 {"status":"ok"} | 503 {"status":"error","error":...} (no token needed)
/// GET  /jobs                        → [JobView]
/// POST /jobs            (job JSON)  → 201 {"id"} | 400 {"errors"} | 408 | 413 | 415 | 429
/// GET  /jobs/{id}                   → JobView | 404
/// GET  /jobs/{id}/iterations        → [IterationView]
/// GET  /jobs/{id}/steps             → [StepView] (a workspace job's transcript)
/// GET  /jobs/{id}/diff              → text/x-diff: a workspace job's patch | 400 for a function job | 404
/// GET  /jobs/{id}/result            → WorkspaceResultView: the patch, the final check, the cost | 400 | 404
/// POST /jobs/{id}/cancel            → {"result": "cancelled" | "cancelRequested" | "alreadyFinished"} | 404
/// </code>
/// Answers 401 without the token, 403 for a foreign Host or Origin, 503 when the job store cannot be used.
/// </summary>
internal sealed class ApiRoutes(JobService jobs, LoopbackApiOptions options, AgentHostHealth health, RateLimiter submissions, ILogger logger)
{
    private readonly string[] _hosts = [$"127.0.0.1:{options.Port}", $"localhost:{options.Port}"];

    public async Task GuardAsync(HttpContext http, Func<Task> next)
    {
        var request = http.Request;
        // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 sends Host: evil.example.
        if (!_hosts.Contains(request.Host.Value, StringComparer.OrdinalIgnoreCase))
        {
            await LoopbackApi.WriteAsync(http, 403, new { error = $"unexpected Host header '{request.Host.Value}'; use {_hosts[0]}" });
            return;
        }
        // A browser names the page that sent a request; no web page is a client of this API.
        string origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !_hosts.Any(h => string.Equals(origin, "http://" + h, StringComparison.OrdinalIgnoreCase))
            || request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
        {
            await LoopbackApi.WriteAsync(http, 403, new { error = "cross-origin requests are refused" });
            return;
        }
        if (request.Path != "/health" && !ApiToken.Matches(request.Headers.Authorization.ToString(), options.Token))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await LoopbackApi.WriteAsync(http, 401, new { error = $"send 'Authorization: Bearer <token>'; the token is in <data>/{ApiToken.FileName} (mercury-agents token prints it)" });
            return;
        }
        try
        {
            await next();
        }
        catch (JobStoreUnavailableException e)
        {
            if (health.Report(e.Message)) logger.LogCritical("The job store cannot be used: {Message}", e.Message);
            if (!http.Response.HasStarted) await LoopbackApi.WriteAsync(http, 503, new { error = e.Message });
        }
    }

    public void Map(WebApplication app)
    {
        app.MapGet("/health", async http =>
        {
            var problem = health.Current;
            await LoopbackApi.WriteAsync(http, problem is null ? 200 : 503, problem is null
                ? new { status = "ok" }
                : new { status = "error", error = problem.Message, since = problem.Since } as object);
        });
        app.MapGet("/jobs", async http => await LoopbackApi.WriteAsync(http, 200, await jobs.ListAsync(http.RequestAborted)));
        app.MapPost("/jobs", SubmitAsync);
        app.MapGet("/jobs/{id}", async (HttpContext http, string id) =>
        {
            var view = await jobs.GetAsync(id, http.RequestAborted);
            await LoopbackApi.WriteAsync(http, view is null ? 404 : 200, view ?? (object)new { error = $"no job {id}" });
        });
        app.MapGet("/jobs/{id}/iterations", async (HttpContext http, string id) =>
        {
            if (await jobs.GetAsync(id, http.RequestAborted) is null) await LoopbackApi.WriteAsync(http, 404, new { error = $"no job {id}" });
            else await LoopbackApi.WriteAsync(http, 200, await jobs.IterationsAsync(id, http.RequestAborted));
        });
        app.MapGet("/jobs/{id}/steps", async (HttpContext http, string id) =>
        {
            if (await jobs.GetAsync(id, http.RequestAborted) is null) await LoopbackApi.WriteAsync(http, 404, new { error = $"no job {id}" });
            else await LoopbackApi.WriteAsync(http, 200, await jobs.StepsAsync(id, http.RequestAborted));
        });
        app.MapGet("/jobs/{id}/diff", async (HttpContext http, string id) => await WorkspaceResultAsync(http, id, async result =>
        {
            http.Response.StatusCode = 200;
            http.Response.ContentType = "text/x-diff; charset=utf-8";
            await http.Response.WriteAsync(result.Diff, http.RequestAborted);
        }));
        app.MapGet("/jobs/{id}/result", async (HttpContext http, string id) =>
            await WorkspaceResultAsync(http, id, result => LoopbackApi.WriteAsync(http, 200, result)));
        app.MapPost("/jobs/{id}/cancel", CancelAsync);
        app.MapFallback(async http => await LoopbackApi.WriteAsync(http, 404, new { error = $"no route {http.Request.Method} {http.Request.Path}" }));
    }

    private async Task WorkspaceResultAsync(HttpContext http, string id, Func<WorkspaceResultView, Task> write)
    {
        WorkspaceResultView? result;
        try { result = await jobs.WorkspaceResultAsync(id, http.RequestAborted); }
        catch (InvalidOperationException e) { await LoopbackApi.WriteAsync(http, 400, new { error = e.Message }); return; }
        if (result is null) await LoopbackApi.WriteAsync(http, 404, new { error = $"no job {id}" });
        else await write(result);
    }

    private async Task SubmitAsync(HttpContext http)
    {
        if (!IsJson(http.Request.ContentType))
        {
            await LoopbackApi.WriteAsync(http, 415, new { errors = new[] { "send the job as Content-Type: application/json" } });
            return;
        }
        if (http.Request.ContentLength > JobSpecParser.MaxWorkspaceJobBytes)
        {
            await LoopbackApi.WriteAsync(http, 413, new { errors = new[] { $"the job is larger than {JobSpecParser.MaxWorkspaceJobBytes / 1024} KiB" } });
            return;
        }
        using var lease = submissions.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            http.Response.Headers.RetryAfter = "10";
            await LoopbackApi.WriteAsync(http, 429, new { errors = new[] { $"more than {options.SubmitsPerMinute} jobs a minute; try again shortly" } });
            return;
        }
        if (await LoopbackApi.ReadBodyAsync(http, options.BodyTimeout) is not { } json) return;
        try
        {
            string id = await jobs.SubmitJsonAsync(json, http.RequestAborted);
            await LoopbackApi.WriteAsync(http, 201, new { id });
        }
        catch (JobSpecException e)
        {
            await LoopbackApi.WriteAsync(http, 400, new { errors = e.Problems });
        }
        catch (JobQueueFullException e)
        {
            http.Response.Headers.RetryAfter = "60";
            await LoopbackApi.WriteAsync(http, 429, new { errors = new[] { e.Message } });
        }
    }

    // No body is needed; one that is not JSON (a form a page could post) is refused before anything happens.
    private async Task CancelAsync(HttpContext http, string id)
    {
        if (http.Request.ContentType is { Length: > 0 } type && !IsJson(type))
        {
            await LoopbackApi.WriteAsync(http, 415, new { error = "a cancel takes no body, or a JSON one" });
            return;
        }
        if (await LoopbackApi.ReadBodyAsync(http, options.BodyTimeout) is null) return;
        var result = await jobs.Store.CancelAsync(id, http.RequestAborted);
        await LoopbackApi.WriteAsync(http, result == CancelResult.NotFound ? 404 : 200, result == CancelResult.NotFound
            ? new { error = $"no job {id}" }
            : new { result = JsonNamingPolicy.CamelCase.ConvertName(result.ToString()) } as object);
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
}
