namespace Mercury.AI.Chat.Templates;

/// <summary>
/// LLaDA-8B-Instruct's template (Llama-3 style): <c>&lt;|startoftext|&gt;</c>, then per message
/// <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n{content | trim}&lt;|eot_id|&gt;</c>, then the assistant header.
/// </summary>
public sealed class LLaDAChatTemplate(string? defaultSystemPrompt = null) : ChatTemplate(defaultSystemPrompt)
{
    public override string Name => "llada";

    public override string EndOfTurn => "<|eot_id|>";

    protected override string Begin => "<|startoftext|>";

    protected override string GenerationPrompt => "<|start_header_id|>assistant<|end_header_id|>\n\n";

    protected override string Turn(string role, string content) => $"<|start_header_id|>{role}<|end_header_id|>\n\n{content.Trim()}<|eot_id|>";
}
