namespace Mercury.AI.Chat.Templates;

/// <summary>
/// ChatML as in Qwen2.5 and Dream (<c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>), also the format of the project's
/// own model. Dream's template adds <see cref="DreamSystemPrompt"/> when the conversation has no system message.
/// </summary>
public sealed class ChatMLTemplate(string? defaultSystemPrompt = null) : ChatTemplate(defaultSystemPrompt)
{
    /// <summary>Dream-v0-Instruct's default system message (its tokenizer_config.json chat_template).</summary>
    public const string DreamSystemPrompt = "You are a helpful assistant.";

    public override string Name => "chatml";

    public override string EndOfTurn => "<|im_end|>";

    protected override string GenerationPrompt => "<|im_start|>assistant\n";

    protected override string Turn(string role, string content) => $"<|im_start|>{role}\n{content}<|im_end|>\n";
}
