using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>
/// Sits between the tool loop and the model: each model reply is stored as a step before the tool loop acts on it (so
/// a host that dies while a tool runs resumes with that call pending, not by asking the model again), and a call is
/// refused once the turn, token or tool-call budget is spent. Each request's length is capped by what the budget has left.
/// </summary>
internal sealed class TurnRecordingChatClient(IChatClient inner, WorkspaceSession session, int maxTokensPerTurn) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        session.EnsureBudgetForModelCall();
        var limited = options?.Clone() ?? new ChatOptions();
        int left = session.Budget.MaxOutputTokens - session.OutputTokens;
        limited.MaxOutputTokens = Math.Max(16, Math.Min(left, Math.Min(limited.MaxOutputTokens ?? maxTokensPerTurn, maxTokensPerTurn)));
        var clock = Stopwatch.StartNew();
        var response = await base.GetResponseAsync(messages, limited, cancellationToken).ConfigureAwait(false);
        return await session.RecordModelTurnAsync(response, clock.Elapsed, cancellationToken).ConfigureAwait(false);
    }

    // The tool loop of a workspace job asks for whole responses; a streaming caller gets the stored turn as updates.
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }
}
