using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// A chat client that replays replies from a JSON file — for demos and for the crash-recovery test, which needs a
/// deterministic model in a child process. Reply k answers a conversation that already holds k assistant messages,
/// so a resumed job continues where it stopped. File: <c>{ "delayMs": 500, "replies": ["```python ...```", ...] }</c>.
/// </summary>
public sealed class ReplayChatClient(IReadOnlyList<string> replies, TimeSpan delay) : IChatClient
{
    private sealed record ReplayFile(int DelayMs, List<string> Replies);

    public static ReplayChatClient FromFile(string path)
    {
        var file = JsonSerializer.Deserialize<ReplayFile>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidDataException($"{path} is empty");
        if (file.Replies is not { Count: > 0 }) throw new InvalidDataException($"{path} has no replies");
        return new ReplayChatClient(file.Replies, TimeSpan.FromMilliseconds(file.DelayMs));
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int answered = messages.Count(m => m.Role == ChatRole.Assistant);
        string reply = replies[Math.Min(answered, replies.Count - 1)];
        if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply)) { Usage = new() { OutputTokenCount = reply.Length / 4 + 1 } };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }
}
