using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Tests;

/// <summary>
/// A hand-written fake model: each call gets the next scripted reply (the last one repeats) and every request is
/// recorded, so tests can check what reached the model.
/// </summary>
internal sealed class ScriptedChatClient(params string[] replies) : IChatClient
{
    private readonly object _gate = new();
    private int _calls;

    public List<List<ChatMessage>> Requests { get; } = [];

    /// <summary>The options of every call, in order.</summary>
    public List<ChatOptions?> Options { get; } = [];

    /// <summary>Time each call takes, to let tests observe a job in flight.</summary>
    public TimeSpan Delay { get; init; }

    public int Calls { get { lock (_gate) return _calls; } }

    private int _inFlight;

    /// <summary>The most calls that were in progress at the same time.</summary>
    public int MaxInFlight { get; private set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        string reply;
        lock (_gate)
        {
            Requests.Add(messages.ToList());
            Options.Add(options?.Clone());
            reply = replies[Math.Min(_calls, replies.Length - 1)];
            _calls++;
        }
        lock (_gate) MaxInFlight = Math.Max(MaxInFlight, ++_inFlight);
        try
        {
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancellationToken);
        }
        finally
        {
            lock (_gate) _inFlight--;
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
        {
            Usage = new UsageDetails { OutputTokenCount = reply.Length / 4 + 1 },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }

    public static string Python(string code) => $"Here is the solution.\n\n```python\n{code}\n```\n";
}
