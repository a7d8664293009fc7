using System.Text;

namespace Mercury.AI.Training.Corpus.Programs;

/// <summary>A parameter of a generated function.</summary>
public sealed record Param(string Name, VType Type);

/// <summary>
/// A generated function: its parameters, what it returns, its code in each language, its meaning (an interpreter, so
/// tests come from the same definition as the code) and the words an instruction describes it with.
/// <see cref="Composition"/> names the structure without its constants or names: the unit held out for evaluation.
/// </summary>
public abstract class FunctionProgram
{
    public abstract IReadOnlyList<Param> Params { get; }
    public abstract VType Returns { get; }
    public abstract string Composition { get; }
    /// <summary>Words for a descriptive function name (<c>sum_even_squares</c>).</summary>
    public abstract IReadOnlyList<string> NameWords { get; }
    public abstract object Evaluate(object[] args);
    public abstract object[] DrawArgs(Random random);
    /// <summary>"returns …": the noun phrase of what the function returns.</summary>
    public abstract string Returning(Random random);
    /// <summary>A step-by-step description ("Go through …, keep …, and return …."); null when there is none.</summary>
    public abstract string? Steps(Random random);
    /// <summary>The body statements (without the signature), one per line, indented by <paramref name="indent"/>.</summary>
    protected abstract void EmitBody(Lang lang, StringBuilder sb, string indent, string unit);
    protected virtual bool NeedsMath => false;

    /// <summary>Whether a drawn case makes a fair test in every language.</summary>
    public virtual bool Acceptable(object result) => true;

    public string Code(Lang lang, string name, string className, bool arrays)
    {
        var sb = new StringBuilder();
        switch (lang)
        {
            case Lang.Python:
                if (NeedsMath) sb.Append("import math\n\n");
                sb.Append($"def {name}({string.Join(", ", Params.Select(p => p.Name))}):\n");
                EmitBody(lang, sb, "    ", "    ");
                break;
            case Lang.JavaScript:
                sb.Append($"function {name}({string.Join(", ", Params.Select(p => p.Name))}) {{\n");
                EmitBody(lang, sb, "  ", "  ");
                sb.Append("}\n");
                break;
            default:
                sb.Append("using System;\nusing System.Collections.Generic;\nusing System.Linq;\n\n");
                sb.Append($"public static class {className}\n{{\n");
                sb.Append($"    public static {Values.CsType(Returns)} {name}({CsParams(arrays)})\n    {{\n");
                EmitBody(lang, sb, "        ", "    ");
                sb.Append("    }\n}\n");
                break;
        }
        return sb.ToString();
    }

    public string CsParams(bool arrays) => string.Join(", ", Params.Select(p => $"{Values.CsType(p.Type, arrays)} {p.Name}"));
}

/// <summary>Where a pipeline's elements come from: a list parameter, the words or characters of a string, 1..n, the digits of n.</summary>
public sealed record Source(string Id, VType Elem, VType ParamType, string[] ParamNames, string Var, string Noun, string[] Locative,
    Func<Lang, string, string> Loop, Func<Random, object> DrawInput, Func<object, IEnumerable<object>> Elements)
{
    public static readonly string[] Words =
    [
        "apple", "banana", "cat", "dog", "level", "tree", "sun", "moon", "river", "stone", "red", "blue", "green", "code",
        "data", "noon", "radar", "sky", "book", "pen", "Paris", "Rome", "Alice", "Bob", "Echo", "hello", "world", "a", "an", "zebra",
        "kayak", "orange", "ice", "up", "Owl", "Tea", "bee", "see", "madam", "x",
    ];

    private static List<object> IntList(Random r, int maxLength = 7) =>
        Enumerable.Range(0, r.Next(0, maxLength + 1)).Select(_ => (object)(long)r.Next(-9, 21)).ToList();

    private static string Sentence(Random r, int maxWords = 6) =>
        string.Join(" ", Enumerable.Range(0, r.Next(0, maxWords + 1)).Select(_ => Words[r.Next(Words.Length)]));

    private static string Text(Random r)
    {
        const string pool = "abcdeiouxyzAEIOUBCDXYZ0123456789 ";
        return new string(Enumerable.Range(0, r.Next(0, 13)).Select(_ => pool[r.Next(pool.Length)]).ToArray()).Trim();
    }

    public static readonly Source[] All =
    [
        new("int_list", VType.Int, VType.IntList, ["nums", "numbers", "items", "data", "scores", "xs", "arr"], "x", "numbers", ["in `{p}`", "in the list `{p}`", "of `{p}`"],
            (l, p) => l switch { Lang.Python => $"for x in {p}:", Lang.JavaScript => $"for (const x of {p}) {{", _ => $"foreach (var x in {p})" },
            r => IntList(r), v => (List<object>)v),
        new("range", VType.Int, VType.Int, ["n", "count", "m"], "i", "numbers", ["from 1 to `{p}`", "from 1 up to and including `{p}`"],
            (l, p) => l switch { Lang.Python => $"for i in range(1, {p} + 1):", Lang.JavaScript => $"for (let i = 1; i <= {p}; i++) {{", _ => $"for (int i = 1; i <= {p}; i++)" },
            r => (long)r.Next(0, 16), v => Enumerable.Range(1, (int)Math.Max(0, (long)v)).Select(i => (object)(long)i)),
        new("digits", VType.Int, VType.Int, ["n", "number", "num"], "d", "digits", ["of `{p}`", "of the non-negative integer `{p}`"],
            (l, p) => l switch
            {
                Lang.Python => $"for d in map(int, str({p})):",
                Lang.JavaScript => $"for (const d of String({p}).split(\"\").map(Number)) {{",
                _ => $"foreach (var d in {p}.ToString().Select(c => c - '0'))",
            },
            r => (long)r.Next(0, 100_000), v => ((long)v).ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => (object)(long)(c - '0'))),
        new("words", VType.Str, VType.Str, ["s", "text", "sentence", "line"], "w", "words", ["in `{p}`", "of the string `{p}`", "in the sentence `{p}` (separated by spaces)"],
            (l, p) => l switch
            {
                Lang.Python => $"for w in {p}.split():",
                Lang.JavaScript => $"for (const w of {p}.split(\" \").filter(Boolean)) {{",
                _ => $"foreach (var w in {p}.Split(' ', StringSplitOptions.RemoveEmptyEntries))",
            },
            r => Sentence(r), v => ((string)v).Split(' ', StringSplitOptions.RemoveEmptyEntries)),
        new("str_list", VType.Str, VType.StrList, ["words", "names", "items", "strings"], "w", "strings", ["in `{p}`", "in the list `{p}`"],
            (l, p) => l switch { Lang.Python => $"for w in {p}:", Lang.JavaScript => $"for (const w of {p}) {{", _ => $"foreach (var w in {p})" },
            r => Enumerable.Range(0, r.Next(0, 6)).Select(_ => (object)Words[r.Next(Words.Length)]).ToList(), v => (List<object>)v),
        new("chars", VType.Char, VType.Str, ["s", "text", "word"], "ch", "characters", ["in `{p}`", "of the string `{p}`"],
            (l, p) => l switch { Lang.Python => $"for ch in {p}:", Lang.JavaScript => $"for (const ch of {p}) {{", _ => $"foreach (var ch in {p})" },
            r => Text(r), v => ((string)v).Select(c => (object)c.ToString())),
    ];
}

/// <summary>A bound constant: its value, and either its literal or the parameter that carries it.</summary>
public sealed record Bound(ConstSpec Spec, object Value, string? Param)
{
    public string Code(Lang lang) => Param ?? (Spec.Kind == ConstKind.Letter ? (lang == Lang.CSharp ? $"'{Value}'" : $"\"{Value}\"") : Value.ToString()!);

    public string Phrase => Param is { } p ? $"`{p}`" : Spec.Kind == ConstKind.Letter ? $"\"{Value}\"" : Value.ToString()!;

    public VType Type => Spec.Kind == ConstKind.Letter ? VType.Char : VType.Int;
}

/// <summary>source → filters → map → finisher, written as one loop that collects <c>values</c>, then a return.</summary>
public sealed class Pipeline(Source source, string sourceParam, IReadOnlyList<(Cond Cond, Bound[] Consts)> filters, (MapOp Map, Bound[] Consts)? map,
    Finisher finisher, VType mapped) : FunctionProgram
{
    public override IReadOnlyList<Param> Params { get; } =
        [new Param(sourceParam, source.ParamType), .. filters.SelectMany(f => f.Consts).Concat(map?.Consts ?? []).Where(b => b.Param is not null).Select(b => new Param(b.Param!, b.Type))];

    public override VType Returns => finisher.Out;

    public override string Composition =>
        $"{source.Id}|{string.Join("+", filters.Select(f => f.Cond.Id).Order(StringComparer.Ordinal))}|{map?.Map.Id ?? "-"}|{finisher.Id}";

    public override IReadOnlyList<string> NameWords =>
        [.. finisher.NameFirst ? [finisher.NameWord] : Array.Empty<string>(), .. filters.Select(f => f.Cond.NameWord!), .. map is { } m ? [m.Map.NameWord] : Array.Empty<string>(),
         .. finisher.NameFirst ? Array.Empty<string>() : [finisher.NameWord]];

    protected override bool NeedsMath => finisher.Id == "product";

    /// <summary>JavaScript's product of a zero and a negative is -0, which its strict asserts tell from 0.</summary>
    public override bool Acceptable(object result) => !(finisher.Id == "product" && result is 0L);

    public override object Evaluate(object[] args)
    {
        var consts = Params.Skip(1).Select((p, i) => (p.Name, Value: args[i + 1])).ToDictionary(x => x.Name, x => x.Value);
        object[] Values(Bound[] bounds) => bounds.Select(b => b.Param is { } p ? consts[p] : b.Value).ToArray();
        var values = new List<object>();
        foreach (var e in source.Elements(args[0]))
        {
            if (!filters.All(f => f.Cond.Eval(e, Values(f.Consts)))) continue;
            values.Add(map is { } m ? m.Map.Eval(e, Values(m.Consts)) : e);
        }
        return finisher.Eval(values);
    }

    public override object[] DrawArgs(Random random) =>
        [source.DrawInput(random), .. Params.Skip(1).Select(p => filters.SelectMany(f => f.Consts).Concat(map?.Consts ?? []).First(b => b.Param == p.Name)).Select(b => Redraw(b, random))];

    /// <summary>A constant passed as an argument varies between test cases.</summary>
    private static object Redraw(Bound b, Random random) => b.Spec.Kind == ConstKind.Letter
        ? "aeioubcdst"[random.Next(10)].ToString()
        : (long)random.Next(b.Spec.Min, b.Spec.Max + 1);

    private string SourceNp(Random r, bool withFilters)
    {
        string locative = Pick(r, source.Locative).Replace("{p}", sourceParam);
        if (!withFilters || filters.Count == 0) return $"the {source.Noun} {locative}";
        string noun = source.Noun;
        var adjectives = new List<string>();
        var clauses = new List<string>();
        foreach (var (cond, consts) in filters)
        {
            if (cond.Noun is { } nouns) noun = Fill(Pick(r, nouns), consts);
            else if (cond.Adj is { } adj && r.Next(3) > 0) adjectives.Add(Pick(r, adj));
            else clauses.Add(Fill(Pick(r, cond.Rel), consts));
        }
        string head = string.Join(" ", adjectives.Append(noun));
        return clauses.Count == 0 ? $"the {head} {locative}" : $"the {head} {locative} {string.Join(" and ", clauses)}";
    }

    public override string Returning(Random r)
    {
        string np = SourceNp(r, withFilters: true);
        if (map is { } m) np = Fill(Pick(r, m.Map.Of), m.Consts).Replace("{np}", np);
        return Pick(r, finisher.Of).Replace("{np}", np);
    }

    public override string? Steps(Random r)
    {
        var steps = new List<string> { $"{Pick(r, ["go through", "loop over", "take"])} {SourceNp(r, withFilters: false)}" };
        foreach (var (cond, consts) in filters) steps.Add($"keep only those {Fill(Pick(r, cond.Rel), consts)}");
        if (map is { } m) steps.Add(Fill(Pick(r, m.Map.Step), m.Consts));
        steps.Add(Pick(r, finisher.Step));
        return string.Join(", ", steps.Take(steps.Count - 1)) + ", and " + steps[^1];
    }

    protected override void EmitBody(Lang lang, StringBuilder sb, string i, string u)
    {
        string condition = string.Join(lang == Lang.Python ? " and " : " && ", filters.Select(f => f.Cond.Code(lang, source.Var, f.Consts.Select(b => b.Code(lang)).ToArray())));
        string expr = map is { } m ? m.Map.Code(lang, source.Var, m.Consts.Select(b => b.Code(lang)).ToArray()) : source.Var;
        string loop = source.Loop(lang, sourceParam);
        string final = finisher.Code(lang);
        switch (lang)
        {
            case Lang.Python:
                sb.Append($"{i}values = []\n{i}{loop}\n");
                if (condition.Length > 0) sb.Append($"{i}{u}if {condition}:\n{i}{u}{u}values.append({expr})\n");
                else sb.Append($"{i}{u}values.append({expr})\n");
                sb.Append($"{i}return {final}\n");
                break;
            case Lang.JavaScript:
                sb.Append($"{i}const values = [];\n{i}{loop}\n");
                if (condition.Length > 0) sb.Append($"{i}{u}if ({condition}) {{\n{i}{u}{u}values.push({expr});\n{i}{u}}}\n");
                else sb.Append($"{i}{u}values.push({expr});\n");
                sb.Append($"{i}}}\n{i}return {final};\n");
                break;
            default:
                sb.Append($"{i}var values = new List<{Values.CsType(mapped)}>();\n{i}{loop}\n{i}{{\n");
                if (condition.Length > 0) sb.Append($"{i}{u}if ({condition})\n{i}{u}{{\n{i}{u}{u}values.Add({expr});\n{i}{u}}}\n");
                else sb.Append($"{i}{u}values.Add({expr});\n");
                sb.Append($"{i}}}\n{i}return {final};\n");
                break;
        }
    }

    /// <summary>A plausible wrong version: one constant off by one, one condition or map or finisher swapped, or one
    /// step left out — the kind of slip a model makes, for refinement examples.</summary>
    public Pipeline? Mutate(Random r)
    {
        switch (r.Next(5))
        {
            case 0 when filters.Any(f => f.Consts.Any(b => b.Param is null && b.Spec.Kind == ConstKind.Int)):
            {
                int i = filters.Select((f, i) => (f, i)).Where(x => x.f.Consts.Any(b => b.Param is null && b.Spec.Kind == ConstKind.Int)).Select(x => x.i).First();
                var bounds = filters[i].Consts.Select(b => b.Param is null && b.Spec.Kind == ConstKind.Int ? b with { Value = (long)b.Value + (r.Next(2) == 0 ? 1 : -1) } : b).ToArray();
                return With(filters.Select((f, j) => j == i ? (f.Cond, bounds) : f).ToList(), map, finisher, mapped);
            }
            case 1 when filters.Count > 0:
            {
                int i = r.Next(filters.Count);
                var others = Primitives.CondsFor(source.Elem).Where(c => c.Id != filters[i].Cond.Id && c.Consts.Length == filters[i].Consts.Length
                    && c.Consts.Select(x => x.Kind).SequenceEqual(filters[i].Cond.Consts.Select(x => x.Kind))).ToList();
                if (others.Count == 0) return null;
                var swapped = Pick(r, others);
                return With(filters.Select((f, j) => j == i ? (swapped, f.Consts.Select((b, k) => b with { Spec = swapped.Consts[k] }).ToArray()) : f).ToList(), map, finisher, mapped);
            }
            case 2 when filters.Count > 0:
            {
                int dropped = r.Next(filters.Count);
                return With(filters.Where((_, j) => j != dropped).ToList(), map, finisher, mapped);
            }
            case 3 when map is { } m:
            {
                var others = Primitives.MapsFor(source.Elem).Where(x => x.Id != m.Map.Id && x.Out == m.Map.Out && x.Consts.Length == m.Consts.Length).ToList();
                if (others.Count > 0) return With(filters, (Pick(r, others), m.Consts), finisher, mapped);
                return mapped == source.Elem ? With(filters, null, finisher, mapped) : null; // leave the map out
            }
            default:
            {
                var others = Primitives.FinishersFor(mapped).Where(f => f.Id != finisher.Id && f.Out == finisher.Out && (map is null || f.AllowsMap)).ToList();
                return others.Count == 0 ? null : With(filters, map, Pick(r, others), mapped);
            }
        }
    }

    private Pipeline With(IReadOnlyList<(Cond, Bound[])> f, (MapOp, Bound[])? m, Finisher fin, VType mappedType) => new(source, sourceParam, f, m, fin, mappedType);

    internal static string Fill(string phrase, Bound[] consts) =>
        phrase.Replace("{k}", consts.Length > 0 ? consts[0].Phrase : "").Replace("{j}", consts.Length > 1 ? consts[1].Phrase : "");

    internal static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
}
