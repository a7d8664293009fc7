using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// A chat client that replays scripted replies — for demos and for tests that need a deterministic model in a child
/// process. Reply k answers a conversation that already holds k assistant messages, so a resumed job continues where
/// it stopped. A reply is text, or text and tool calls (a workspace job's trajectory). File:
/// <code>
/// { "when": "median", "delayMs": 500,
///   "replies": [ "```python ...```",
///                { "text": "Let me look.", "toolCalls": [ { "name": "read_file", "arguments": { "path": "stats.py" } } ] } ] }
/// </code>
/// Several files (<c>--chat replay:a.json,b.json</c>) serve several jobs: each conversation gets the first script whose
/// <c>when</c> occurs in its first user message (a script without <c>when</c> takes any).
/// </summary>
public sealed class ReplayChatClient : IChatClient
{
    private sealed record Script(string Source, string? When, TimeSpan Delay, IReadOnlyList<JsonElement> Replies);

    private readonly IReadOnlyList<Script> _scripts;

    public ReplayChatClient(IReadOnlyList<string> replies, TimeSpan delay) =>
        _scripts = [new Script("(inline)", null, delay, replies.Select(r => JsonSerializer.SerializeToElement(r)).ToList())];

    private ReplayChatClient(IReadOnlyList<Script> scripts) => _scripts = scripts;

    public static ReplayChatClient FromFile(string path) => FromFiles([path]);

    /// <summary>Scripts from files; <see cref="InvalidDataException"/> naming the file and the problem for a bad one.</summary>
    public static ReplayChatClient FromFiles(IEnumerable<string> paths)
    {
        var scripts = new List<Script>();
        foreach (var path in paths)
        {
            JsonElement root;
            try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
            catch (JsonException e) { throw new InvalidDataException($"{path} is not valid JSON: {e.Message}"); }
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("replies", out var replies) || replies.ValueKind != JsonValueKind.Array || replies.GetArrayLength() == 0)
                throw new InvalidDataException($"{path} has no replies");
            foreach (var reply in replies.EnumerateArray()) _ = ToMessage(reply, 0, path);
            string? when = root.TryGetProperty("when", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null;
            int delayMs = root.TryGetProperty("delayMs", out var d) && d.TryGetInt32(out int ms) ? ms : 0;
            scripts.Add(new Script(path, when, TimeSpan.FromMilliseconds(delayMs), replies.EnumerateArray().ToList()));
        }
        if (scripts.Count == 0) throw new InvalidDataException("no replay files given");
        return new ReplayChatClient(scripts);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        string first = list.FirstOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var script = _scripts.FirstOrDefault(s => s.When is null || first.Contains(s.When, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No replay script matches this conversation (scripts: {string.Join(", ", _scripts.Select(s => s.Source))}).");
        int answered = list.Count(m => m.Role == ChatRole.Assistant);
        var reply = ToMessage(script.Replies[Math.Min(answered, script.Replies.Count - 1)], answered + 1, script.Source);
        if (script.Delay > TimeSpan.Zero) await Task.Delay(script.Delay, cancellationToken).ConfigureAwait(false);
        int length = reply.Text.Length + reply.Contents.OfType<FunctionCallContent>().Sum(c => c.Name.Length + JsonSerializer.Serialize(c.Arguments).Length);
        return new ChatResponse(reply) { Usage = new() { OutputTokenCount = length / 4 + 1 } };
    }

    private static ChatMessage ToMessage(JsonElement reply, int turn, string source)
    {
        if (reply.ValueKind == JsonValueKind.String) return new ChatMessage(ChatRole.Assistant, reply.GetString());
        if (reply.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: a reply is a string or an object with text and toolCalls");
        var contents = new List<AIContent>();
        if (reply.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) contents.Add(new TextContent(text.GetString()));
        if (reply.TryGetProperty("toolCalls", out var calls))
        {
            int i = 0;
            foreach (var call in calls.EnumerateArray())
            {
                string name = call.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
                    : throw new InvalidDataException($"{source}: a tool call has no name");
                var arguments = call.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object
                    ? a.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                    : new Dictionary<string, object?>();
                contents.Add(new FunctionCallContent($"call_{turn}_{i++}", name, arguments));
            }
        }
        return new ChatMessage(ChatRole.Assistant, contents);
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
