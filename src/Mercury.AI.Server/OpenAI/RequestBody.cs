using System.Text.Json;

namespace Mercury.AI.Server.OpenAI;

internal static class RequestBody
{
    /// <summary>
    /// Reads at most <paramref name="limit"/> bytes of JSON: 413 past the limit (declared or streamed), 400 for bad JSON,
    /// for bytes that are not UTF-8 and for strings that are not valid Unicode (a lone surrogate escape such as
    /// <c>"\ud800"</c>, which JSON's grammar allows but no .NET string read from UTF-8 can hold).
    /// </summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit) throw TooLarge(declared, limit);
        using var buffer = new MemoryStream(request.ContentLength is { } size ? (int)size : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge(null, limit);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw OpenAIError.Invalid("The request body is empty; send a JSON object.");
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
            throw OpenAIError.Invalid("The request body is not valid UTF-8.", code: "invalid_encoding");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw OpenAIError.Invalid($"We could not parse the JSON body of your request: {e.Message}", code: "invalid_json");
        }
        if (FirstInvalidString(document.RootElement, "") is { } path)
        {
            document.Dispose();
            throw OpenAIError.Invalid($"The request body holds a string that is not valid Unicode (a lone surrogate escape) at '{path}'.",
                param: path.Length == 0 ? null : path, code: "invalid_encoding");
        }
        return document;
    }

    /// <summary>The path of the first string or property name that cannot be read as text, or null.</summary>
    private static string? FirstInvalidString(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(element) ? null : path;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                    if (FirstInvalidString(item, $"{path}[{i++}]") is { } bad) return bad;
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; }
                    catch (InvalidOperationException) { return path.Length == 0 ? "(a property name)" : path; }
                    if (FirstInvalidString(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } bad) return bad;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Readable(JsonElement s)
    {
        try { _ = s.GetString(); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private static OpenAIError TooLarge(long? size, long limit) =>
        new(413, size is { } s ? $"The request body is {s} bytes; this server accepts at most {limit}." : $"The request body exceeds this server's limit of {limit} bytes.",
            code: "request_too_large");
}
