using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Agent;

/// <summary>A model reply and what it cost.</summary>
public sealed record CoderReply(string Text, int OutputTokens);

/// <summary>How to sample one reply: the length ceiling and, for a fresh restart, a seed and temperature so that it can
/// differ from the attempts before it (null = the model's default, greedy for the diffusion models).</summary>
public sealed record CoderRequest(int MaxOutputTokens, long? Seed = null, float? Temperature = null);

/// <summary>Writes code: given the conversation so far, the next reply.</summary>
public interface ICoder
{
    Task<CoderReply> ReplyAsync(IReadOnlyList<ChatMessage> conversation, CoderRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The coder as an Agent Framework <see cref="ChatClientAgent"/> over the host's <see cref="IChatClient"/>.
/// The loop owns the conversation (it is rebuilt from stored iterations after a crash), so each call passes the
/// whole conversation and no agent session is kept.
/// </summary>
public sealed class AgentCoder : ICoder
{
    private readonly ChatClientAgent _agent;

    public AgentCoder(IChatClient chatClient, string? instructions = null) =>
        _agent = new ChatClientAgent(chatClient, instructions: instructions ?? Prompts.CoderInstructions, name: "coder",
            description: "Writes and fixes code until the tests pass");

    public async Task<CoderReply> ReplyAsync(IReadOnlyList<ChatMessage> conversation, CoderRequest request, CancellationToken cancellationToken)
    {
        var options = new ChatClientAgentRunOptions(new ChatOptions { MaxOutputTokens = request.MaxOutputTokens, Seed = request.Seed, Temperature = request.Temperature });
        var response = await _agent.RunAsync(conversation, session: null, options, cancellationToken).ConfigureAwait(false);
        string text = response.Text;
        // Providers that report no usage are charged an estimate (about four characters per token).
        int tokens = (int)(response.Usage?.OutputTokenCount ?? Math.Max(1, text.Length / 4));
        return new CoderReply(text, tokens);
    }
}
