using Microsoft.Extensions.Configuration;

namespace Mercury.AI.Agents.Host.Remote;

/// <summary>Before the host is built: which model an <c>openai:</c> endpoint serves, since the prompt style follows it.</summary>
internal static class RemoteModel
{
    /// <summary>Sets Agents:ChatModel from the endpoints' GET /models when it is not configured. Null, or why no endpoint
    /// answered; a malformed URL list throws <see cref="ArgumentException"/> (bad input).</summary>
    public static async Task<string?> ResolveAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (configuration["Agents:ChatClient"] is not { } chat || !chat.StartsWith(OpenAIChat.Prefix, StringComparison.Ordinal)
            || configuration["Agents:ChatModel"] is not null)
            return null;
        var uris = EndpointPool.ParseList(chat[OpenAIChat.Prefix.Length..]);
        try
        {
            configuration["Agents:ChatModel"] = await OpenAIChat.DiscoverModelAsync(uris, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }
}
