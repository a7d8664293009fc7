using System.Text.Json;
using Mercury.AI.Chat.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Chat.Tools;

/// <summary>
/// A tool call the request requires (<see cref="ChatToolMode.RequireAny"/>, <see cref="ChatToolMode.RequireSpecific"/>),
/// written structurally: the call's skeleton <c>&lt;tool_call&gt;\n{"name": "…", "arguments": …}\n&lt;/tool_call&gt;</c> is
/// fixed text, the name is the required one or a declared one the model names, and the arguments follow the
/// function's JSON schema (<see cref="JsonSkeletonDecoder"/>).
/// </summary>
internal static class RequiredToolCall
{
    /// <summary>The answer's fixed start before the function name.</summary>
    public const string NameLead = ToolPrompt.CallOpen + "\n{\"name\": \"";

    private const int NameTokens = 16;

    /// <summary>The answer's fixed start before the arguments of <paramref name="name"/>.</summary>
    public static string ArgumentsLead(string name) => NameLead + JsonSerializer.Serialize(name)[1..] + ", \"arguments\": ";

    /// <summary>The whole call text once the arguments are written.</summary>
    public static string Complete(string name, string arguments) => ArgumentsLead(name) + arguments + "}\n" + ToolPrompt.CallClose;

    /// <summary>
    /// The declared function the model names after <see cref="NameLead"/>: the only one when one is declared; else the
    /// model writes the name and each pass narrows the candidates to those sharing the longest start with what it wrote,
    /// fixes their common start and lets it go on, until one is left or it names one exactly (ignoring case). When what
    /// it writes starts none of the candidates still possible, the first of them (in declaration order) is taken and a
    /// warning names what it wrote: the call is always of a declared function.
    /// </summary>
    public static async Task<string> ChooseNameAsync(IReadOnlyList<AIFunctionDeclaration> tools, SegmentDecoder decode,
        ILogger logger, CancellationToken cancellationToken)
    {
        var candidates = tools.Select(t => t.Name).Distinct(StringComparer.Ordinal).ToList();
        string fixedStart = "";
        while (candidates.Count > 1)
        {
            var segment = await decode(NameLead + fixedStart, NameTokens, ["\""], cancellationToken).ConfigureAwait(false);
            string text = fixedStart + segment.Text;
            string? exact = candidates.FirstOrDefault(c => c == text) ?? candidates.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
            if (exact is not null) return exact;
            int best = candidates.Max(c => JsonSkeletonDecoder.CommonPrefix(c, text));
            if (best <= fixedStart.Length)
            {
                if (!segment.Exhausted)
                    logger.LogWarning("Required tool call: the model wrote '{Written}', which starts none of {Tools}; calling {Tool}",
                        text, string.Join(", ", candidates), candidates[0]);
                break;
            }
            candidates = candidates.Where(c => JsonSkeletonDecoder.CommonPrefix(c, text) == best).ToList();
            fixedStart = candidates.Aggregate((a, b) => a[..JsonSkeletonDecoder.CommonPrefix(a, b)]);
        }
        return candidates[0];
    }

    /// <summary>Whether a freely written call is what the request required: a declared (or the required) function,
    /// arguments that parse and fit its schema.</summary>
    public static bool Satisfies(FunctionCallContent call, IReadOnlyList<AIFunctionDeclaration> tools, string? requiredName)
    {
        if (call.Exception is not null || (requiredName is not null && call.Name != requiredName)) return false;
        if (tools.FirstOrDefault(t => t.Name == call.Name) is not { } tool) return false;
        string arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions);
        return JsonOutput.Validate(arguments, tool.JsonSchema, out _) is not null;
    }
}
