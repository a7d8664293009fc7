using System.Text.RegularExpressions;

namespace Mercury.AI.Agents.Agent;

/// <summary>Takes the solution out of a model reply: the longest fenced block of the language, else the longest fenced block.</summary>
public static partial class CodeExtractor
{
    public static string? Extract(string reply, IReadOnlyList<string> fenceTags)
    {
        var blocks = Fence().Matches(reply)
            .Select(m => (Tag: m.Groups["tag"].Value.Trim().ToLowerInvariant(), Code: m.Groups["code"].Value))
            .Where(b => !string.IsNullOrWhiteSpace(b.Code))
            .ToList();
        if (blocks.Count == 0)
        {
            // An unterminated fence (the model ran out of tokens): take what follows it.
            var open = OpenFence().Match(reply);
            return open.Success && !string.IsNullOrWhiteSpace(open.Groups["code"].Value) ? open.Groups["code"].Value.TrimEnd() + "\n" : null;
        }
        var ofLanguage = blocks.Where(b => fenceTags.Contains(b.Tag, StringComparer.OrdinalIgnoreCase)).ToList();
        var pool = ofLanguage.Count > 0 ? ofLanguage : blocks;
        return pool.MaxBy(b => b.Code.Length).Code.TrimEnd() + "\n";
    }

    [GeneratedRegex(@"```(?<tag>[^\n`]*)\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"```(?<tag>[^\n`]*)\n(?<code>.*)$", RegexOptions.Singleline)]
    private static partial Regex OpenFence();
}
