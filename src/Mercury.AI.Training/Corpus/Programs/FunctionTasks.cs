using Mercury.AI.Agents.Runners;

namespace Mercury.AI.Training.Corpus.Programs;

/// <summary>One function task: the instruction, the reference code (the answer), and visible and hidden tests in the
/// agent host's job format, all from one <see cref="FunctionProgram"/>.</summary>
public sealed record FunctionTask(Lang Lang, string Composition, string Name, string Instruction, string Code,
    IReadOnlyList<TestFile> Tests, IReadOnlyList<TestFile> HiddenTests, FunctionProgram Program, string ClassName, bool Arrays)
{
    public string Fenced => $"```{Values.Tag(Lang)}\n{Code.TrimEnd('\n')}\n```";
}

/// <summary>Draws random compositions and turns them into tasks with varied phrasing.</summary>
public static class FunctionTasks
{
    private static readonly string[] GenericNames = ["solve", "compute", "transform", "calculate", "run", "helper", "answer", "check", "apply", "go", "f"];
    private static readonly string[] ClassNames = ["Solution", "Tools", "Helpers", "Utils", "Calc", "Text", "Numbers", "Lists", "Kata", "Task", "MathUtils", "Strings"];

    /// <summary>A random program; null when the draw was unusable (the caller draws again).</summary>
    public static FunctionProgram? DrawProgram(Random r)
    {
        if (r.Next(4) == 0) return DrawBranching(r);
        var source = r.Next(3) == 0 ? Source.All[0] : Pipeline.Pick(r, Source.All);
        var names = new HashSet<string>(StringComparer.Ordinal);
        string sourceParam = Pipeline.Pick(r, source.ParamNames);
        names.Add(sourceParam);
        int filterCount = source.Elem == VType.Char ? r.Next(0, 4) switch { 0 => 0, _ => 1 } : r.Next(0, 20) switch { < 4 => 0, < 15 => 1, _ => 2 };
        var conds = Primitives.CondsFor(source.Elem).OrderBy(_ => r.Next()).Take(filterCount).ToList();
        var filters = conds.Select(c => (c, Bind(r, c.Consts, names))).ToList();
        (MapOp, Bound[])? map = null;
        var mapped = source.Elem;
        if (r.Next(2) == 0)
        {
            var op = Pipeline.Pick(r, Primitives.MapsFor(source.Elem));
            map = (op, Bind(r, op.Consts, names));
            mapped = op.Out;
        }
        var finishers = Primitives.FinishersFor(mapped).Where(f => map is null || f.AllowsMap).ToList();
        var finisher = Pipeline.Pick(r, finishers);
        if (source.Elem == VType.Char && filters.Count == 0 && map is null && finisher.Id == "concat") return null; // the identity
        return new Pipeline(source, sourceParam, filters, map, finisher, mapped);
    }

    private static Branching DrawBranching(Random r)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        string param = Pipeline.Pick(r, ["n", "x", "number", "value", "score"]);
        names.Add(param);
        bool text = r.Next(3) > 0;
        int count = r.Next(1, 4);
        var conds = Primitives.IntConds.OrderBy(_ => r.Next()).Take(count).ToList();
        var labels = Branching.AllLabels.OrderBy(_ => r.Next()).Take(count + 1).ToList();
        var ints = Branching.IntOutcomes(r.Next(1, 10)).ToList();
        var branches = conds.Select((c, i) => (c, Bind(r, c.Consts, names), text ? Branching.Label(labels[i]) : Pipeline.Pick(r, ints))).ToList();
        var otherwise = text ? (r.Next(2) == 0 ? Branching.AsText : Branching.Label(labels[^1])) : Pipeline.Pick(r, ints);
        return new Branching(param, branches, otherwise);
    }

    private static Bound[] Bind(Random r, ConstSpec[] specs, HashSet<string> names) => specs.Select(spec =>
    {
        object value = spec.Kind == ConstKind.Letter ? "aeioubcdst"[r.Next(10)].ToString() : (long)r.Next(spec.Min, spec.Max + 1);
        string? param = null;
        if (spec.ParamNames is { } candidates && r.Next(5) == 0 && candidates.FirstOrDefault(c => !names.Contains(c)) is { } free)
        {
            param = free;
            names.Add(free);
        }
        return new Bound(spec, value, param);
    }).ToArray();

    /// <summary>A task for <paramref name="program"/> in <paramref name="lang"/>; null when no good tests could be drawn.</summary>
    public static FunctionTask? Make(FunctionProgram program, Lang lang, Random r)
    {
        var cases = DrawCases(program, r);
        if (cases is null) return null;
        // One word alone could be a builtin the body calls (sorted, sum, max).
        var words = program.NameWords.Take(4).ToList();
        if (words.Count < 2) words.Add(Pipeline.Pick(r, ["values", "items", "all", "result"]));
        string snake = r.Next(10) < 7 ? string.Join("_", words) : Pipeline.Pick(r, GenericNames);
        string name = Values.Case(snake, lang);
        string className = Pipeline.Pick(r, ClassNames);
        bool arrays = r.Next(5) < 2;
        string code = program.Code(lang, name, className, arrays);
        string instruction = Instruction(program, lang, name, className, arrays, cases[0], r);
        string call = lang == Lang.CSharp ? $"{className}.{name}" : name;
        var visible = cases.Take(3).ToList();
        var hidden = cases.Skip(3).ToList();
        return new FunctionTask(lang, program.Composition, name, instruction, code,
            [TestFileFor(lang, program, call, name, visible, arrays, hidden: false)], [TestFileFor(lang, program, call, name, hidden, arrays, hidden: true)], program,
            className, arrays);
    }

    /// <summary>4–7 distinct argument sets whose results are not all equal, every value inside 32 bits.</summary>
    private static List<(object[] Args, object Result)>? DrawCases(FunctionProgram program, Random r)
    {
        var cases = new List<(object[], object)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int attempt = 0; attempt < 40 && cases.Count < 7; attempt++)
        {
            var args = program.DrawArgs(r);
            string key = string.Join("|", args.Select((a, i) => Values.Literal(Lang.Python, program.Params[i].Type, a)));
            if (!seen.Add(key)) continue;
            var result = program.Evaluate(args);
            if (!Values.Fits(result) || !args.All(Values.Fits) || !program.Acceptable(result)) continue;
            cases.Add((args, result));
        }
        if (cases.Count < 4) return null;
        var distinct = cases.Select(c => Values.Literal(Lang.Python, program.Returns, c.Item2)).Distinct().Count();
        return distinct < 2 ? null : cases;
    }

    private static TestFile TestFileFor(Lang lang, FunctionProgram program, string call, string name, List<(object[] Args, object Result)> cases, bool arrays, bool hidden)
    {
        string Args(object[] args) => string.Join(", ", args.Select((a, i) => Values.Literal(lang, program.Params[i].Type, a, arrays)));
        bool list = program.Returns is VType.IntList or VType.StrList or VType.CharList;
        switch (lang)
        {
            case Lang.Python:
                return new TestFile(hidden ? "test_hidden.py" : $"test_{name}.py",
                    string.Concat(cases.Select(c => $"assert {call}({Args(c.Args)}) == {Values.Literal(lang, program.Returns, c.Result)}\n")));
            case Lang.JavaScript:
                return new TestFile(hidden ? "hidden.test.js" : $"{name}.test.js", string.Concat(cases.Select(c =>
                    $"test(\"{call}({Args(c.Args).Replace("\"", "'")})\", () => {{\n  assert.deepStrictEqual({call}({Args(c.Args)}), {Values.Literal(lang, program.Returns, c.Result)});\n}});\n")));
            default:
                var lines = cases.Select((c, i) =>
                {
                    string expected = Values.Literal(lang, program.Returns, c.Result);
                    string check = list ? $"{call}({Args(c.Args)}).SequenceEqual({expected})" : $"{call}({Args(c.Args)}) == {expected}";
                    return $"Debug.Assert({check}, \"case {i + 1}\");\n";
                });
                return new TestFile(hidden ? "HiddenTests.cs" : "Tests.cs", "using System.Diagnostics;\n\n" + string.Concat(lines) + "Console.WriteLine(\"all asserts passed\");\n");
        }
    }

    private static string Instruction(FunctionProgram program, Lang lang, string name, string className, bool arrays, (object[] Args, object Result) example, Random r)
    {
        string sig = $"{name}({string.Join(", ", program.Params.Select(p => p.Name))})";
        string language = lang switch { Lang.Python => "Python", Lang.JavaScript => Pipeline.Pick(r, ["JavaScript", "JavaScript", "JS"]), _ => Pipeline.Pick(r, ["C#", "C#", "C Sharp"]) };
        string returning = program.Returning(r);
        string? steps = r.Next(3) == 0 ? program.Steps(r) : null;
        string head;
        if (lang == Lang.CSharp)
        {
            string method = $"public static {Values.CsType(program.Returns)} {name}({program.CsParams(arrays)})";
            head = Pipeline.Pick(r, [
                $"Write a public static class `{className}` in {language} with a method `{method}`",
                $"In {language}, write a static class `{className}` with `{method}`",
                $"Create a {language} static class `{className}` containing `{method}`",
                $"Implement `{method}` in a public static class `{className}` ({language})",
            ]);
        }
        else
        {
            head = Pipeline.Pick(r, [
                $"Write a {language} function `{sig}`",
                $"Create a {language} function `{sig}`",
                $"Implement `{sig}` in {language}",
                $"Write `{sig}` in {language}",
                $"In {language}, define a function `{sig}`",
                $"Write a function `{sig}` in {language}",
            ]);
        }
        string text = steps is not null
            ? $"{head}. {Capitalize(steps)}."
            : Pipeline.Pick(r, [$"{head} that returns {returning}.", $"{head}. It returns {returning}.", $"{head}. It should return {returning}."]);
        if (r.Next(10) < 3)
        {
            string call = lang == Lang.CSharp ? $"{className}.{name}" : name;
            string args = string.Join(", ", example.Args.Select((a, i) => Values.Literal(lang, program.Params[i].Type, a, arrays)));
            text += $" For example, `{call}({args})` returns `{Values.Literal(lang, program.Returns, example.Result, arrays)}`.";
        }
        return text;
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
