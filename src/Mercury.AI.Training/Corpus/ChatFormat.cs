using System.Text.RegularExpressions;
using Mercury.AI.Chat.Templates;
using Mercury.AI.Engine.Models;

namespace Mercury.AI.Training.Corpus;

/// <summary>
/// The embedded model's prompt format: ChatML with the recipe's system prompt and compact tool format
/// (<c>Recipe/generation_config.json</c>, copied into the model folder at export, where the client reads it).
/// Prompts are rendered by the chat client's own code (<c>DiffusionChatClient.RenderPrompt</c>); this class only adds
/// how an answer ends in training.
/// </summary>
public static partial class ChatFormat
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    public const string Mask = "<|mask|>";

    /// <summary>The special tokens, in id order (0..3).</summary>
    public static readonly string[] SpecialTokens = [EndOfText, ImStart, ImEnd, Mask];

    /// <summary>The recipe's generation config: what the trained model's folder will carry.</summary>
    public static string RecipeFile => Path.Combine(AppContext.BaseDirectory, "Recipe", GenerationConfig.FileName);

    public static GenerationConfig Recipe => GenerationConfig.Load(Path.GetDirectoryName(RecipeFile)!);

    /// <summary>The template the client will use for the trained model (ChatML, the recipe's system prompt and tool format).</summary>
    public static ChatTemplate Template(GenerationConfig recipe) => ChatTemplate.Create(ChatTemplateKind.ChatML, null, ModelArchitecture.LLaDA, recipe);

    /// <summary>The answer as trained: the text, end of turn, end of text (EOS padding follows in the trainer).</summary>
    public static string AnswerSuffix(string answer) => $"{answer}{ImEnd}{EndOfText}";

    public static string Fence(string language, string code) => $"```{language}\n{code.TrimEnd('\n')}\n```";

    /// <summary>The code of the first fenced block, or the whole text when there is no fence.</summary>
    public static string ExtractCode(string answer)
    {
        var match = FenceRegex().Match(answer);
        if (match.Success) return match.Groups[1].Value;
        int open = answer.IndexOf("```", StringComparison.Ordinal);
        if (open >= 0)
        {
            int newline = answer.IndexOf('\n', open);
            return newline >= 0 ? answer[(newline + 1)..] : "";
        }
        return answer;
    }

    [GeneratedRegex(@"```[a-zA-Z#]*\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex FenceRegex();
}
