using Mercury.AI.Chat.Json;
using Mercury.AI.Chat.Templates;
using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat;

/// <summary>A chat request turned into an engine request.</summary>
/// <param name="AssistantPrefix">Text pre-filled after the assistant header (part of the prompt, and of the answer).</param>
internal sealed record PreparedChat(GenerationRequest Request, string? AssistantPrefix, ChatResponseFormatJson? Json, bool HasTools, bool StreamSnapshots)
{
    /// <summary><c>ChatOptions.AllowMultipleToolCalls == false</c>: keep only the first call.</summary>
    public bool SingleToolCall { get; init; }

    public IReadOnlyList<FunctionCallContent> Limit(IReadOnlyList<FunctionCallContent> calls) => SingleToolCall && calls.Count > 1 ? [calls[0]] : calls;
}

public sealed partial class DiffusionChatClient
{
    /// <summary>The shortest answer canvas worth decoding when the prompt leaves less room than MaxOutputTokens asks.</summary>
    private const int MinimumAnswerTokens = 64;

    private PreparedChat Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (options?.ModelId is { Length: > 0 } requested && !string.Equals(requested, ModelId, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"This client serves model '{ModelId}'; ChatOptions.ModelId asked for '{requested}'.", nameof(options));
        int maxTokens = options?.MaxOutputTokens ?? _defaultMaxOutputTokens;
        if (maxTokens < 1) throw new ArgumentException($"ChatOptions.MaxOutputTokens must be at least 1 (was {maxTokens}).", nameof(options));

        var knobs = ChatOptionsMapper.ReadKnobs(options, _knobDefaults);
        var diffusion = ChatOptionsMapper.ToDiffusionOptions(options, knobs, _backend.Config.Architecture, _defaultTemperature);
        // Escape hatch (ChatOptions.RawRepresentationFactory): engine options as the base; ChatOptions values set win.
        if (options?.RawRepresentationFactory?.Invoke(this) is DiffusionOptions raw)
            diffusion = raw with
            {
                Temperature = options.Temperature is null ? raw.Temperature : diffusion.Temperature,
                TopP = options.TopP is null ? raw.TopP : diffusion.TopP,
                TopK = options.TopK is null ? raw.TopK : diffusion.TopK,
                Seed = options.Seed ?? raw.Seed,
            };

        var json = options?.ResponseFormat as ChatResponseFormatJson;
        var context = ContextFor(options);
        var tools = context.Tools!;
        string? prefix = context.AssistantPrefix;
        var history = messages.ToList();
        var tokens = _backend.Tokenizer.Encode(Template.Render(history, context));
        int room = _backend.Config.MaxSequenceLength - maxTokens;
        if (diffusion.Overflow == PromptOverflow.TruncateStart)
        {
            // Drop whole turns, oldest first, keeping the system prompt and starting on a user turn; the engine cuts
            // tokens from the start only if one turn alone is still too long.
            while (tokens.Count > room && DropOldestTurn(history))
                tokens = _backend.Tokenizer.Encode(Template.Render(history, context));
            if (tokens.Count > room) _logger.LogWarning("The last turn alone is {Tokens} tokens; its start is cut to fit {Room}", tokens.Count, room);
        }
        else if (tokens.Count > room && _backend.Config.MaxSequenceLength - tokens.Count >= Math.Min(maxTokens, MinimumAnswerTokens))
        {
            // MaxOutputTokens is a ceiling, and a diffusion canvas must fit beside the prompt: shorten the canvas.
            _logger.LogDebug("Answer canvas shortened from {Asked} to {Fit} tokens to fit the context", maxTokens, _backend.Config.MaxSequenceLength - tokens.Count);
            maxTokens = _backend.Config.MaxSequenceLength - tokens.Count;
        }
        else if (tokens.Count > room)
        {
            throw new ArgumentException(
                $"The conversation is {tokens.Count} tokens and the answer {maxTokens}: more than the model's context of {_backend.Config.MaxSequenceLength}. " +
                "Shorten the history, lower MaxOutputTokens, or set the diffusion Overflow option to TruncateStart.", nameof(messages));
        }
        CheckVocabulary(tokens);

        // Never mutate the caller's list; add the end-of-turn text when the checkpoint's config does not list its id.
        var stops = options?.StopSequences?.Where(s => s.Length > 0).ToList() ?? [];
        if (_backend.Tokenizer.TokenToId(Template.EndOfTurn) is not { } eot || !_backend.Config.EndTokenIds.Contains(eot))
            stops.Add(Template.EndOfTurn);

        var request = new GenerationRequest
        {
            PromptTokens = tokens,
            MaxNewTokens = maxTokens,
            StopSequences = stops.Count > 0 ? stops : null,
            Options = diffusion,
        };
        return new PreparedChat(request, prefix, json, tools.Count > 0, ChatOptionsMapper.ReadStreamSnapshots(options))
        {
            SingleToolCall = options?.AllowMultipleToolCalls == false,
        };
    }

    /// <summary>The prompt text this client writes for a conversation and its options (the system prompt, the
    /// declared tools, the JSON rule and any pre-filled answer start included), before tokenization: what a model is
    /// trained on when it is trained for this client (see the Training project's corpus).</summary>
    public string RenderPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options = null) => RenderPrompt(Template, messages, options);

    /// <inheritdoc cref="RenderPrompt(IEnumerable{ChatMessage}, ChatOptions?)"/>
    public static string RenderPrompt(ChatTemplate template, IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(messages);
        return template.Render(messages, ContextFor(options));
    }

    /// <summary>What the template renders besides the messages, from the request's options.</summary>
    private static ChatTemplateContext ContextFor(ChatOptions? options)
    {
        var tools = options?.ToolMode is NoneChatToolMode ? [] : options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        var json = options?.ResponseFormat as ChatResponseFormatJson;
        string? instructions = options?.Instructions;
        if (json is not null)
        {
            string rule = json.Schema is { } schema
                ? $"Respond only with JSON that conforms to this JSON schema{(json.SchemaName is { } n ? $" ({n})" : "")}:\n{schema.GetRawText()}"
                : "Respond only with a JSON object.";
            instructions = string.IsNullOrEmpty(instructions) ? rule : $"{instructions}\n\n{rule}";
        }
        return new ChatTemplateContext
        {
            Instructions = instructions,
            Tools = tools,
            RequireToolCall = options?.ToolMode is RequiredChatToolMode,
            RequiredToolName = (options?.ToolMode as RequiredChatToolMode)?.RequiredFunctionName,
            // Pre-filling "{" would forbid a tool call, so only an answer that must be JSON gets it.
            AssistantPrefix = json is not null && tools.Count == 0 ? JsonOutput.Prefill(json) : null,
        };
    }

    /// <summary>Removes the oldest non-system turn and any tool results or assistant turns that would then lead the
    /// history, so it starts on a user turn. False when only the last turn is left.</summary>
    private static bool DropOldestTurn(List<ChatMessage> history)
    {
        int first = history.FindIndex(m => m.Role != ChatRole.System);
        if (first < 0 || first == history.Count - 1) return false;
        history.RemoveAt(first);
        while (first < history.Count - 1 && history[first].Role != ChatRole.User) history.RemoveAt(first);
        return true;
    }

    /// <summary>A tokenizer that does not belong to the checkpoint would index past the embedding; say so instead.</summary>
    private void CheckVocabulary(IReadOnlyList<int> tokens)
    {
        int vocab = _backend.Config.VocabSize;
        foreach (int id in tokens)
            if (id < 0 || id >= vocab)
                throw new ArgumentException(
                    $"The prompt has token id {id} but the model's vocabulary has {vocab} ids: tokenizer '{_backend.Tokenizer.SourceName}' does not match the checkpoint.");
    }
}
