namespace Mercury.AI.Training.Corpus;

/// <summary>
/// A small function task with many surface variations: the function name, the parameter names, the phrasing of the
/// instruction and an optional integer constant <c>{k}</c>. <see cref="Code"/> and <see cref="Description"/> use the
/// placeholders <c>{name}</c>, <c>{a}</c>, <c>{b}</c> and <c>{k}</c>; <see cref="Inputs"/> are argument lists valid as
/// both Python and JavaScript literals.
/// </summary>
public sealed record FunctionTemplate(
    string Id,
    TaskKind Kind,
    string[] Names,
    string[][] Parameters,
    string[] Descriptions,
    string Code,
    string[] Inputs,
    (int Min, int Max)? Constant = null)
{
    public string Language => Kind == TaskKind.Python ? "python" : "javascript";

    private static readonly string[] PythonPhrasings =
    [
        "Write a Python function `{sig}` that {desc}.",
        "Create a Python function `{sig}` that {desc}.",
        "Implement `{sig}` in Python. It {desc}.",
        "In Python, define `{sig}`, which {desc}.",
    ];

    private static readonly string[] JavaScriptPhrasings =
    [
        "Write a JavaScript function `{sig}` that {desc}.",
        "Create a JavaScript function `{sig}` that {desc}.",
        "Implement `{sig}` in JavaScript. It {desc}.",
        "In JavaScript, define `{sig}`, which {desc}.",
    ];

    /// <summary>One concrete task drawn from <paramref name="random"/>.</summary>
    public FunctionInstance Draw(Random random)
    {
        string name = Pick(random, Names);
        var args = new List<string>();
        foreach (var choices in Parameters)
        {
            string arg;
            do arg = Pick(random, choices); while (args.Contains(arg));
            args.Add(arg);
        }
        int k = Constant is { } c ? random.Next(c.Min, c.Max + 1) : 0;
        string desc = Fill(Pick(random, Descriptions), name, args, k);
        string sig = $"{name}({string.Join(", ", args)})";
        string phrasing = Pick(random, Kind == TaskKind.Python ? PythonPhrasings : JavaScriptPhrasings);
        string instruction = phrasing.Replace("{sig}", sig).Replace("{desc}", desc);
        return new FunctionInstance(this, name, args, k, instruction, Fill(Code, name, args, k), Fill(Code, "_reference", args, k));
    }

    internal static string Fill(string text, string name, IReadOnlyList<string> args, int k)
    {
        text = text.Replace("{name}", name).Replace("{k}", k.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (args.Count > 0) text = text.Replace("{a}", args[0]);
        if (args.Count > 1) text = text.Replace("{b}", args[1]);
        return text;
    }

    internal static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}

/// <summary>A drawn function task: its instruction, the solution and the reference renamed for the tests.</summary>
public sealed record FunctionInstance(FunctionTemplate Template, string Name, IReadOnlyList<string> Args, int K,
    string Instruction, string Solution, string Reference)
{
    /// <summary>The test program that follows the candidate code: the reference under another name, then one assert per input.</summary>
    public string Tests()
    {
        var lines = new List<string>();
        if (Template.Kind == TaskKind.Python)
        {
            lines.Add(Reference.TrimEnd('\n'));
            lines.Add("");
            foreach (var input in Template.Inputs)
                lines.Add($"assert {Name}({input}) == _reference({input}), \"{Name}({input.Replace("\"", "\\\"")}) returned the wrong value\"");
        }
        else
        {
            lines.Add("const assert = require(\"assert\");");
            lines.Add(Reference.TrimEnd('\n'));
            lines.Add("");
            foreach (var input in Template.Inputs)
                lines.Add($"assert.deepStrictEqual({Name}({input}), _reference({input}), \"{Name}({input.Replace("\"", "\\\"")}) returned the wrong value\");");
        }
        return string.Join('\n', lines) + "\n";
    }
}
