using Mercury.AI.Chat;

namespace Mercury.AI.Server.OpenAI;

/// <summary>What every model endpoint shares: errors mapped to OpenAI's shape, and a client that leaves cancels its decode.</summary>
internal static class Requests
{
    public static async Task RunAsync(HttpContext http, RequestGate gate, ILogger logger, Func<CancellationToken, Task> handle)
    {
        // RequestAborted fires when the client disconnects; it flows into the decode, which stops at its next step.
        var ct = http.RequestAborted;
        try
        {
            await handle(ct);
            // A decode that saw the cancellation ends early rather than throwing; writes to a gone client are dropped.
            if (ct.IsCancellationRequested) ClientLeft(http, gate, logger);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ClientLeft(http, gate, logger);
        }
        catch (StreamFailedException e)
        {
            logger.LogError(e.InnerException, "{Path}: the stream failed after it started.", http.Request.Path);
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var error = ToOpenAIError(e);
            if (error.Status >= 500) logger.LogError(e, "{Path} failed.", http.Request.Path);
            if (error.Status == 429 && e is DiffusionQueueFullException) gate.CountRejected();
            if (error.Status == 429) http.Response.Headers.RetryAfter = "1";
            await error.ToResult().ExecuteAsync(http);
        }
    }

    private static void ClientLeft(HttpContext http, RequestGate gate, ILogger logger)
    {
        gate.CountCancelled();
        logger.LogInformation("{Path}: the client went away; its decode was cancelled.", http.Request.Path);
    }

    public static OpenAIError ToOpenAIError(Exception e) => e switch
    {
        OpenAIError o => o,
        DiffusionQueueFullException q => new OpenAIError(429, q.Message, type: "rate_limit_error", code: "queue_full"),
        // The provider validates options (knobs, context length) with ArgumentException naming the bad value.
        ArgumentException a => OpenAIError.Invalid(a.Message),
        BadHttpRequestException b => new OpenAIError(b.StatusCode, b.Message),
        _ => new OpenAIError(500, $"The server failed: {e.Message}", type: "server_error"),
    };
}

/// <summary>A streamed response failed after its headers were sent; the error went out in-band.</summary>
internal sealed class StreamFailedException(Exception inner) : Exception(inner.Message, inner);
