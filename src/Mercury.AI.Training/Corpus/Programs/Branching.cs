using System.Text;

namespace Mercury.AI.Training.Corpus.Programs;

/// <summary>What one branch of a classifier returns: a string literal, or an integer expression of the input.</summary>
public sealed record Outcome(string Id, VType Type, Func<Lang, string, string> Code, Func<long, object> Eval, string Phrase);

/// <summary>
/// <c>if c1: return o1; if c2: return o2; return default</c> over one integer: FizzBuzz and its relatives, signs,
/// ranges, built from the same conditions as the pipelines. Conditions are checked in order, which the instruction says.
/// </summary>
public sealed class Branching(string param, IReadOnlyList<(Cond Cond, Bound[] Consts, Outcome Outcome)> branches, Outcome otherwise) : FunctionProgram
{
    private static readonly string[] Labels =
        ["Fizz", "Buzz", "big", "small", "even", "odd", "zero", "positive", "negative", "yes", "no", "high", "low", "ok", "hot", "cold", "A", "B", "C"];

    public static Outcome Label(string label) => new("label", VType.Str, (_, _) => $"\"{label}\"", _ => label, $"\"{label}\"");

    public static IEnumerable<Outcome> IntOutcomes(long k) =>
    [
        new("same", VType.Int, (_, n) => n, n => n, "`{n}` itself"),
        new("double", VType.Int, (_, n) => $"{n} * 2", n => n * 2, "`{n}` doubled"),
        new("plus", VType.Int, (_, n) => $"{n} + {k}", n => n + k, $"`{{n}}` plus {k}"),
        new("square", VType.Int, (_, n) => $"{n} * {n}", n => n * n, "the square of `{n}`"),
        new("zero", VType.Int, (_, _) => "0", _ => 0L, "0"),
        new("neg", VType.Int, (_, n) => $"0 - {n}", n => -n, "0 minus `{n}`"),
    ];

    public static Outcome AsText => new("text", VType.Str, (l, n) => l switch { Lang.Python => $"str({n})", Lang.JavaScript => $"String({n})", _ => $"{n}.ToString()" },
        n => n.ToString(System.Globalization.CultureInfo.InvariantCulture), "`{n}` as a string");

    public static IReadOnlyList<string> AllLabels => Labels;

    public override IReadOnlyList<Param> Params { get; } =
        [new Param(param, VType.Int), .. branches.SelectMany(b => b.Consts).Where(c => c.Param is not null).Select(c => new Param(c.Param!, VType.Int))];

    public override VType Returns => otherwise.Type;

    public override string Composition =>
        $"branch|{string.Join(">", branches.Select(b => $"{b.Cond.Id}:{b.Outcome.Id}"))}|{otherwise.Id}";

    public override IReadOnlyList<string> NameWords => ["classify", .. branches.Take(1).Select(b => b.Cond.NameWord!)];

    public override object Evaluate(object[] args)
    {
        long n = (long)args[0];
        var consts = Params.Skip(1).Select((p, i) => (p.Name, Value: args[i + 1])).ToDictionary(x => x.Name, x => x.Value);
        foreach (var (cond, bounds, outcome) in branches)
            if (cond.Eval(n, bounds.Select(b => b.Param is { } p ? consts[p] : b.Value).ToArray())) return outcome.Eval(n);
        return otherwise.Eval(n);
    }

    public override object[] DrawArgs(Random random) =>
        [(long)random.Next(-10, 31), .. Params.Skip(1).Select(p => (object)(long)random.Next(2, 8))];

    public override string Returning(Random r)
    {
        var parts = branches.Select(b => $"{Phrase(b.Outcome)} if `{param}` is {Condition(r, b.Cond, b.Consts)}").ToList();
        string order = branches.Count > 1 ? Pipeline.Pick<string>(r, [" (the first condition that holds wins)", " (check the conditions in this order)", ""]) : "";
        return $"{string.Join(", ", parts)}{order}, and {Phrase(otherwise)} otherwise";
    }

    /// <summary>A condition phrase that reads after "`n` is" ("even", "greater than 3", "divisible by 4").</summary>
    private static string Condition(Random r, Cond cond, Bound[] consts)
    {
        var fitting = cond.Rel.Where(p => !p.Contains("multiples", StringComparison.Ordinal) && !p.StartsWith("of ", StringComparison.Ordinal)
            && !p.StartsWith("other than", StringComparison.Ordinal)).ToList();
        string phrase = Pipeline.Pick<string>(r, fitting.Count > 0 ? fitting : cond.Rel);
        return Pipeline.Fill(phrase, consts).Replace("that are ", "", StringComparison.Ordinal);
    }

    public override string? Steps(Random r) => null;

    private string Phrase(Outcome o) => o.Phrase.Replace("{n}", param);

    protected override void EmitBody(Lang lang, StringBuilder sb, string i, string u)
    {
        foreach (var (cond, bounds, outcome) in branches)
        {
            string c = cond.Code(lang, param, bounds.Select(b => b.Code(lang)).ToArray());
            string ret = outcome.Code(lang, param);
            switch (lang)
            {
                case Lang.Python: sb.Append($"{i}if {c}:\n{i}{u}return {ret}\n"); break;
                case Lang.JavaScript: sb.Append($"{i}if ({c}) {{\n{i}{u}return {ret};\n{i}}}\n"); break;
                default: sb.Append($"{i}if ({c})\n{i}{{\n{i}{u}return {ret};\n{i}}}\n"); break;
            }
        }
        sb.Append(lang == Lang.Python ? $"{i}return {otherwise.Code(lang, param)}\n" : $"{i}return {otherwise.Code(lang, param)};\n");
    }
}
