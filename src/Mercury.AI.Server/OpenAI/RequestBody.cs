using System.Text.Json;

namespace Mercury.AI.Server.OpenAI;

internal static class RequestBody
{
    /// <summary>Reads at most <paramref name="limit"/> bytes of JSON: 413 past the limit (declared or streamed), 400 for bad JSON.</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit) throw TooLarge(declared, limit);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(null, limit);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw OpenAIError.Invalid("The request body is empty; send a JSON object.");
        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw OpenAIError.Invalid($"We could not parse the JSON body of your request: {e.Message}", code: "invalid_json");
        }
    }

    private static OpenAIError TooLarge(long? size, long limit) =>
        new(413, size is { } s ? $"The request body is {s} bytes; this server accepts at most {limit}." : $"The request body exceeds this server's limit of {limit} bytes.",
            code: "request_too_large");
}
