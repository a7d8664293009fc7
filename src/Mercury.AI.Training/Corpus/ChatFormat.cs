using System.Text.RegularExpressions;

namespace Mercury.AI.Training.Corpus;

/// <summary>
/// The ChatML template the model is trained on and prompted with:
/// <c>&lt;|im_start|&gt;system\n…&lt;|im_end|&gt;\n&lt;|im_start|&gt;user\n{instruction}&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n{answer}&lt;|im_end|&gt;&lt;|endoftext|&gt;</c>.
/// </summary>
public static partial class ChatFormat
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    public const string Mask = "<|mask|>";

    /// <summary>The special tokens, in id order (0..3).</summary>
    public static readonly string[] SpecialTokens = [EndOfText, ImStart, ImEnd, Mask];

    public const string CoderSystem = "You are Mercury, a small coding model. Answer with one fenced code block.";

    public const string AgentSystem =
        "You are Mercury, a coding agent. Tools: read_file(path), list_dir(path), run_tests(path), search_code(query). " +
        "To call a tool answer with <tool_call>{\"name\": ..., \"arguments\": {...}}</tool_call>.";

    /// <summary>Everything before the answer, ending with the assistant header.</summary>
    public static string Prompt(string system, string instruction) =>
        $"{ImStart}system\n{system}{ImEnd}\n{ImStart}user\n{instruction}{ImEnd}\n{ImStart}assistant\n";

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

    [GeneratedRegex(@"```[a-zA-Z]*\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex FenceRegex();
}
