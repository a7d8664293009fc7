using System.Text;
using Mercury.AI.Chat.Tools;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Templates;

/// <summary>Which prompt format a checkpoint was trained on.</summary>
public enum ChatTemplateKind
{
    /// <summary>From the tokenizer: <c>&lt;|start_header_id|&gt;</c> → <see cref="LLaDA"/>; <c>&lt;|im_start|&gt;</c> →
    /// <see cref="Dream"/> for Dream checkpoints, else <see cref="ChatML"/>.</summary>
    Auto,

    /// <summary>LLaDA-8B-Instruct's Llama-3-style header/eot template.</summary>
    LLaDA,

    /// <summary>Dream's Qwen2.5 ChatML, with the default system prompt "You are a helpful assistant.".</summary>
    Dream,

    /// <summary>Plain ChatML (the project's own model): no default system prompt.</summary>
    ChatML,
}

/// <summary>What a template renders besides the messages.</summary>
public sealed record ChatTemplateContext
{
    /// <summary><c>ChatOptions.Instructions</c>: appended to the system prompt.</summary>
    public string? Instructions { get; init; }

    /// <summary>Tools described in the system prompt, Qwen-style inside <c>&lt;tools&gt;&lt;/tools&gt;</c>.</summary>
    public IReadOnlyList<AIFunctionDeclaration>? Tools { get; init; }

    /// <summary>Tell the model it must call a tool (<see cref="ChatToolMode.RequireAny"/>).</summary>
    public bool RequireToolCall { get; init; }

    /// <summary>With <see cref="RequireToolCall"/>: the one function it must call (<see cref="ChatToolMode.RequireSpecific"/>).</summary>
    public string? RequiredToolName { get; init; }

    /// <summary>End with the assistant header, so the model writes the next turn.</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>Text placed after the assistant header as the start of the answer (e.g. <c>{</c> in JSON mode).</summary>
    public string? AssistantPrefix { get; init; }
}

/// <summary>
/// Renders a conversation into the text a checkpoint was trained on (what HF's <c>apply_chat_template</c> gives).
/// Leading system messages and <see cref="ChatTemplateContext.Instructions"/> make one system turn; tool calls
/// are written as <c>&lt;tool_call&gt;</c> blocks and tool results as a user turn of <c>&lt;tool_response&gt;</c>
/// blocks, as Qwen2.5's template does.
/// </summary>
public abstract class ChatTemplate
{
    protected ChatTemplate(string? defaultSystemPrompt) => DefaultSystemPrompt = defaultSystemPrompt;

    public abstract string Name { get; }

    /// <summary>The special token that ends a turn; generation stops on it.</summary>
    public abstract string EndOfTurn { get; }

    /// <summary>System prompt used when the conversation has none.</summary>
    public string? DefaultSystemPrompt { get; }

    /// <summary>How declared tools are described (the model folder's <c>tool_format</c>).</summary>
    public ToolPromptFormat ToolFormat { get; init; }

    /// <summary>Text before the first turn (a BOS token).</summary>
    protected virtual string Begin => "";

    /// <summary>The assistant header the answer follows.</summary>
    protected abstract string GenerationPrompt { get; }

    protected abstract string Turn(string role, string content);

    public string Render(IEnumerable<ChatMessage> messages, ChatTemplateContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        context ??= new ChatTemplateContext();
        var list = messages.ToList();
        var sb = new StringBuilder(Begin);

        int first = 0;
        var system = new List<string>();
        for (; first < list.Count && list[first].Role == ChatRole.System; first++) system.Add(TextOf(list[first]));
        // As in Hugging Face templates, the default applies when the conversation has no system message; per-request
        // instructions add to it rather than replace the prompt the model was trained with.
        if (system.Count == 0 && DefaultSystemPrompt is { Length: > 0 }) system.Add(DefaultSystemPrompt);
        if (!string.IsNullOrEmpty(context.Instructions)) system.Add(context.Instructions);
        if (context.Tools is { Count: > 0 } tools)
            system.Add(ToolPrompt.Describe(tools, context.RequireToolCall, ToolFormat, context.RequiredToolName));
        if (system.Count > 0) sb.Append(Turn("system", string.Join("\n\n", system)));

        for (int i = first; i < list.Count; i++)
        {
            var message = list[i];
            if (IsToolResults(message))
            {
                // Consecutive tool messages make one user turn, as in Qwen2.5's template.
                var results = new List<string>();
                for (; i < list.Count && IsToolResults(list[i]); i++)
                    results.AddRange(list[i].Contents.OfType<FunctionResultContent>().Select(ToolPrompt.RenderResult));
                i--;
                sb.Append(Turn("user", string.Join("\n", results)));
                continue;
            }
            var parts = new List<string>();
            if (TextOf(message) is { Length: > 0 } text) parts.Add(text);
            parts.AddRange(message.Contents.OfType<FunctionCallContent>().Select(ToolPrompt.RenderCall));
            sb.Append(Turn(message.Role.Value, string.Join("\n", parts)));
        }

        if (context.AddGenerationPrompt) sb.Append(GenerationPrompt).Append(context.AssistantPrefix);
        return sb.ToString();
    }

    private static bool IsToolResults(ChatMessage message) =>
        message.Role == ChatRole.Tool || (message.Contents.Count > 0 && message.Contents.All(c => c is FunctionResultContent));

    private static string TextOf(ChatMessage message)
    {
        foreach (var content in message.Contents)
            if (content is DataContent or UriContent or HostedFileContent)
                throw new NotSupportedException($"Message content of type {content.GetType().Name} is not supported: diffusion chat models read text only.");
        return message.Text;
    }

    /// <summary>The template for <paramref name="kind"/>; <see cref="ChatTemplateKind.Auto"/> reads the tokenizer's special tokens.</summary>
    public static ChatTemplate Create(ChatTemplateKind kind, Engine.Tokenization.HuggingFaceTokenizer? tokenizer,
        Engine.Models.ModelArchitecture architecture, string? defaultSystemPrompt = null, ToolPromptFormat toolFormat = ToolPromptFormat.Qwen)
    {
        if (kind == ChatTemplateKind.Auto) kind = Detect(tokenizer, architecture);
        return kind switch
        {
            ChatTemplateKind.LLaDA => new LLaDAChatTemplate(defaultSystemPrompt) { ToolFormat = toolFormat },
            ChatTemplateKind.Dream => new ChatMLTemplate(defaultSystemPrompt ?? ChatMLTemplate.DreamSystemPrompt) { ToolFormat = toolFormat },
            ChatTemplateKind.ChatML => new ChatMLTemplate(defaultSystemPrompt) { ToolFormat = toolFormat },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown chat template kind."),
        };
    }

    /// <summary>The template a model folder asks for: <paramref name="kind"/> (or the tokenizer's), with the folder's
    /// <c>generation_config.json</c> system prompt and tool format unless <paramref name="systemPromptOverride"/> is given.</summary>
    public static ChatTemplate Create(ChatTemplateKind kind, Engine.Tokenization.HuggingFaceTokenizer? tokenizer,
        Engine.Models.ModelArchitecture architecture, Engine.Models.GenerationConfig generation, string? systemPromptOverride = null) =>
        Create(kind, tokenizer, architecture, systemPromptOverride ?? generation.SystemPrompt,
            generation.ToolFormat == "compact" ? ToolPromptFormat.Compact : ToolPromptFormat.Qwen);

    public static ChatTemplateKind Detect(Engine.Tokenization.HuggingFaceTokenizer? tokenizer, Engine.Models.ModelArchitecture architecture)
    {
        if (tokenizer?.TokenToId("<|start_header_id|>") is not null) return ChatTemplateKind.LLaDA;
        if (tokenizer?.TokenToId("<|im_start|>") is not null)
            return architecture == Engine.Models.ModelArchitecture.Dream && tokenizer.VocabSize > 150_000 ? ChatTemplateKind.Dream : ChatTemplateKind.ChatML;
        throw new InvalidOperationException(
            $"Cannot tell the chat template from tokenizer '{tokenizer?.SourceName ?? "(none)"}': it has neither <|start_header_id|> (LLaDA) nor <|im_start|> (ChatML). " +
            "Set DiffusionChatClientOptions.Template.");
    }
}

/// <summary>How declared tools are described in the system prompt (a model folder's <c>tool_format</c>).</summary>
public enum ToolPromptFormat
{
    /// <summary>Qwen2.5's JSON signatures inside <c>&lt;tools&gt;&lt;/tools&gt;</c>.</summary>
    Qwen,

    /// <summary>One <c>name(arg: type, opt?: type) - description</c> line per function, for small models.</summary>
    Compact,
}
