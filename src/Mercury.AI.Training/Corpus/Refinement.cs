namespace Mercury.AI.Training.Corpus;

/// <summary>
/// Refinement examples: the instruction, a previous attempt with one bug, the failing test output, and the fixed
/// code as the answer. The same prompt shape is used by the evaluator's generate → test → refine rounds.
/// </summary>
public static class Refinement
{
    /// <summary>Small, plausible bugs: (find, replace, kind of failure). Tried in random order; the first that applies wins.</summary>
    private static readonly (string Find, string Replace)[] Mutations =
    [
        (" > ", " >= "), (" < ", " <= "), (" + 1", ""), ("% 2 == 0", "% 2 == 1"), ("% 2 === 0", "% 2 === 1"), ("[::-1]", "[::1]"),
        ("+= ", "-= "), ("lower()", "upper()"), ("toLowerCase()", "toUpperCase()"), ("result = 1", "result = 0"), ("0, 1", "1, 1"),
        ("total = 0", "total = 1"), (" * 9 / 5", " * 5 / 9"), ("return True", "return False"), ("[1:]", "[2:]"), (".reverse()", ""),
    ];

    public static string Prompt(string instruction, string language, string previousCode, string testOutput) =>
        $"{instruction}\n\nMy previous attempt:\n{ChatFormat.Fence(language, previousCode)}\nIt fails the tests:\n```\n{testOutput.TrimEnd()}\n```\nFix the code.";

    /// <summary>A buggy copy of the instance's solution and the failure it would print.</summary>
    public static (string Code, string Output) Break(FunctionInstance instance, Random random)
    {
        string code = instance.Solution;
        bool python = instance.Template.Kind == TaskKind.Python;
        string input = FunctionTemplate.Pick(random, instance.Template.Inputs);
        foreach (int i in Enumerable.Range(0, Mutations.Length).OrderBy(_ => random.Next()))
        {
            var (find, replace) = Mutations[i];
            int at = code.IndexOf(find, StringComparison.Ordinal);
            if (at < 0) continue;
            string broken = code[..at] + replace + code[(at + find.Length)..];
            string output = python
                ? $"Traceback (most recent call last):\nAssertionError: {instance.Name}({input}) returned the wrong value"
                : $"AssertionError [ERR_ASSERTION]: {instance.Name}({input}) returned the wrong value";
            return (broken, output);
        }
        // No mutation applies: misspell the first parameter in the signature, so its uses fail by name.
        string arg = instance.Args[0];
        int open = code.IndexOf('(');
        string misspelled = code[..open] + code[open..].ReplaceFirst(arg, arg + "_");
        return (misspelled, python
            ? $"Traceback (most recent call last):\nNameError: name '{arg}' is not defined"
            : $"ReferenceError: {arg} is not defined");
    }

    private static string ReplaceFirst(this string text, string find, string replace)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return at < 0 ? text : text[..at] + replace + text[(at + find.Length)..];
    }
}
