using System.Text.Json.Nodes;

namespace Mercury.AI.Server.OpenAI;

/// <summary>
/// A request the server refuses, answered in OpenAI's error shape:
/// <c>{"error": {"message", "type", "param", "code"}}</c>, so OpenAI clients surface the message as-is.
/// </summary>
public sealed class OpenAIError(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public static OpenAIError Invalid(string message, string? param = null, string? code = null) => new(400, message, param: param, code: code);

    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = Message,
            ["type"] = Type,
            ["param"] = Param,
            ["code"] = Code,
        },
    };

    public IResult ToResult() => Results.Json(ToJson(), statusCode: Status);
}
