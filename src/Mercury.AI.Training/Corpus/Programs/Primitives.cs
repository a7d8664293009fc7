namespace Mercury.AI.Training.Corpus.Programs;

/// <summary>What kind of constant a primitive takes: a small integer or a lowercase letter.</summary>
public enum ConstKind
{
    Int,
    Letter,
}

/// <summary>A constant slot: its kind and the range drawn from (the instruction may also make it a parameter).</summary>
public sealed record ConstSpec(ConstKind Kind, int Min = 0, int Max = 0, string[]? ParamNames = null);

/// <summary>
/// A condition on one element (<c>x</c>, <c>w</c>, <c>ch</c>): code per language, its meaning, and the phrases an
/// instruction uses for it. Phrases hold <c>{k}</c> (and <c>{j}</c>) for the constants.
/// </summary>
public sealed record Cond(string Id, VType Elem, ConstSpec[] Consts, Func<Lang, string, string[], string> Code, Func<object, object[], bool> Eval,
    string[] Rel, string[]? Adj = null, string[]? Noun = null, string? NameWord = null);

/// <summary>A map of one element, with phrases that wrap a noun phrase <c>{np}</c> and imperative steps.</summary>
public sealed record MapOp(string Id, VType In, VType Out, ConstSpec[] Consts, Func<Lang, string, string[], string> Code, Func<object, object[], object> Eval,
    string[] Of, string[] Step, string NameWord);

/// <summary>What a function returns from the collected <c>values</c>.</summary>
public sealed record Finisher(string Id, VType In, VType Out, Func<Lang, string> Code, Func<List<object>, object> Eval,
    string[] Of, string[] Step, string NameWord, bool AllowsMap = true, bool NameFirst = true);

public static class Primitives
{
    private static readonly ConstSpec Small = new(ConstKind.Int, 2, 9, ["limit", "k", "threshold"]);
    private static readonly ConstSpec Divisor = new(ConstKind.Int, 2, 7, ["k", "divisor", "d"]);
    private static readonly ConstSpec Length = new(ConstKind.Int, 2, 6, ["length", "size", "n"]);
    private static readonly ConstSpec Letter = new(ConstKind.Letter, ParamNames: ["letter", "c", "ch"]);
    private static readonly ConstSpec Factor = new(ConstKind.Int, 2, 5);
    private static readonly ConstSpec Offset = new(ConstKind.Int, 1, 9);

    private static long I(object o) => (long)o;
    private static string S(object o) => (string)o;
    private static string Eq(Lang l) => l == Lang.JavaScript ? "===" : "==";
    private static string Ne(Lang l) => l == Lang.JavaScript ? "!==" : "!=";
    private static string And(Lang l) => l == Lang.Python ? "and" : "&&";
    private static bool IsVowel(string c) => "aeiou".Contains(c.ToLowerInvariant(), StringComparison.Ordinal);

    /// <summary>The character literal for C#'s <c>char</c>-typed variables, the string literal elsewhere.</summary>
    private static string Ch(Lang l, string c) => l == Lang.CSharp ? $"'{c}'" : $"\"{c}\"";

    public static readonly Cond[] IntConds =
    [
        new("even", VType.Int, [], (l, x, _) => $"{x} % 2 {Eq(l)} 0", (x, _) => I(x) % 2 == 0,
            ["that are even"], Adj: ["even"], NameWord: "even"),
        new("odd", VType.Int, [], (l, x, _) => $"{x} % 2 {Ne(l)} 0", (x, _) => I(x) % 2 != 0,
            ["that are odd"], Adj: ["odd"], NameWord: "odd"),
        new("positive", VType.Int, [], (_, x, _) => $"{x} > 0", (x, _) => I(x) > 0,
            ["that are positive", "greater than zero"], Adj: ["positive"], NameWord: "positive"),
        new("negative", VType.Int, [], (_, x, _) => $"{x} < 0", (x, _) => I(x) < 0,
            ["that are negative", "less than zero"], Adj: ["negative"], NameWord: "negative"),
        new("nonzero", VType.Int, [], (l, x, _) => $"{x} {Ne(l)} 0", (x, _) => I(x) != 0,
            ["that are not zero", "other than zero"], Adj: ["non-zero"], NameWord: "nonzero"),
        new("gt", VType.Int, [Small], (_, x, k) => $"{x} > {k[0]}", (x, k) => I(x) > I(k[0]),
            ["greater than {k}", "bigger than {k}", "above {k}", "that are greater than {k}"], NameWord: "big"),
        new("lt", VType.Int, [Small], (_, x, k) => $"{x} < {k[0]}", (x, k) => I(x) < I(k[0]),
            ["less than {k}", "smaller than {k}", "below {k}", "that are less than {k}"], NameWord: "small"),
        new("ge", VType.Int, [Small], (_, x, k) => $"{x} >= {k[0]}", (x, k) => I(x) >= I(k[0]),
            ["that are at least {k}", "greater than or equal to {k}", "of {k} or more"], NameWord: "large"),
        new("le", VType.Int, [Small], (_, x, k) => $"{x} <= {k[0]}", (x, k) => I(x) <= I(k[0]),
            ["that are at most {k}", "less than or equal to {k}", "of {k} or less"], NameWord: "low"),
        new("div", VType.Int, [Divisor], (l, x, k) => $"{x} % {k[0]} {Eq(l)} 0", (x, k) => I(x) % I(k[0]) == 0,
            ["divisible by {k}", "that are multiples of {k}", "that are divisible by {k}"], NameWord: "multiple"),
        new("notdiv", VType.Int, [Divisor], (l, x, k) => $"{x} % {k[0]} {Ne(l)} 0", (x, k) => I(x) % I(k[0]) != 0,
            ["not divisible by {k}", "that are not multiples of {k}"], NameWord: "nonmultiple"),
        new("ne", VType.Int, [Small], (l, x, k) => $"{x} {Ne(l)} {k[0]}", (x, k) => I(x) != I(k[0]),
            ["not equal to {k}", "other than {k}", "that are not {k}"], NameWord: "other"),
        new("between", VType.Int, [new ConstSpec(ConstKind.Int, 0, 4, ["low", "lo", "start"]), new ConstSpec(ConstKind.Int, 5, 12, ["high", "hi", "end"])],
            (l, x, k) => l == Lang.Python ? $"{k[0]} <= {x} <= {k[1]}" : $"{x} >= {k[0]} {And(l)} {x} <= {k[1]}",
            (x, k) => I(x) >= I(k[0]) && I(x) <= I(k[1]),
            ["between {k} and {j} (inclusive)", "from {k} to {j} inclusive", "in the range {k} to {j}, both included"], NameWord: "between"),
    ];

    public static readonly Cond[] WordConds =
    [
        new("longer", VType.Str, [Length], (l, w, k) => $"{Len(l, w)} > {k[0]}", (w, k) => S(w).Length > I(k[0]),
            ["longer than {k} characters", "with more than {k} letters", "that have more than {k} characters"], NameWord: "long"),
        new("shorter", VType.Str, [Length], (l, w, k) => $"{Len(l, w)} < {k[0]}", (w, k) => S(w).Length < I(k[0]),
            ["shorter than {k} characters", "with fewer than {k} letters"], NameWord: "short"),
        new("length_is", VType.Str, [Length], (l, w, k) => $"{Len(l, w)} {Eq(l)} {k[0]}", (w, k) => S(w).Length == I(k[0]),
            ["with exactly {k} letters", "that are exactly {k} characters long"], NameWord: "sized"),
        new("starts", VType.Str, [Letter], (l, w, k) => l switch { Lang.Python => $"{w}.startswith({k[0]})", Lang.JavaScript => $"{w}.startsWith({k[0]})", _ => $"{w}.StartsWith({k[0]})" },
            (w, k) => S(w).StartsWith(S(k[0]), StringComparison.Ordinal),
            ["that start with {k}", "starting with {k}", "beginning with {k}"], NameWord: "starting"),
        new("ends", VType.Str, [Letter], (l, w, k) => l switch { Lang.Python => $"{w}.endswith({k[0]})", Lang.JavaScript => $"{w}.endsWith({k[0]})", _ => $"{w}.EndsWith({k[0]})" },
            (w, k) => S(w).EndsWith(S(k[0]), StringComparison.Ordinal),
            ["that end with {k}", "ending with {k}"], NameWord: "ending"),
        new("contains", VType.Str, [Letter], (l, w, k) => l switch { Lang.Python => $"{k[0]} in {w}", Lang.JavaScript => $"{w}.includes({k[0]})", _ => $"{w}.Contains({k[0]})" },
            (w, k) => S(w).Contains(S(k[0]), StringComparison.Ordinal),
            ["that contain {k}", "containing {k}", "with {k} in them"], NameWord: "with"),
        new("capitalized", VType.Str, [], (l, w, _) => l switch { Lang.Python => $"{w}[0].isupper()", Lang.JavaScript => $"{w}[0] >= \"A\" && {w}[0] <= \"Z\"", _ => $"char.IsUpper({w}[0])" },
            (w, _) => char.IsAsciiLetterUpper(S(w)[0]),
            ["that start with a capital letter", "that begin with an uppercase letter"], Adj: ["capitalized"], NameWord: "capitalized"),
        new("palindrome", VType.Str, [], (l, w, _) => l switch { Lang.Python => $"{w} == {w}[::-1]", Lang.JavaScript => $"{w} === [...{w}].reverse().join(\"\")", _ => $"{w}.SequenceEqual({w}.Reverse())" },
            (w, _) => S(w).SequenceEqual(S(w).Reverse()),
            ["that are palindromes", "that read the same backwards"], NameWord: "palindrome"),
    ];

    public static readonly Cond[] CharConds =
    [
        new("vowel", VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.lower() in \"aeiou\"", Lang.JavaScript => $"\"aeiou\".includes({c}.toLowerCase())", _ => $"\"aeiou\".Contains(char.ToLower({c}))" },
            (c, _) => IsVowel(S(c)), ["that are vowels (a, e, i, o, u, either case)"], Noun: ["vowels (a, e, i, o, u, ignoring case)", "vowels, upper or lower case"], NameWord: "vowel"),
        new("consonant", VType.Char, [], (l, c, _) => l switch
            {
                Lang.Python => $"{c}.isalpha() and {c}.lower() not in \"aeiou\"",
                Lang.JavaScript => $"/[a-z]/i.test({c}) && !\"aeiou\".includes({c}.toLowerCase())",
                _ => $"char.IsLetter({c}) && !\"aeiou\".Contains(char.ToLower({c}))",
            },
            (c, _) => char.IsAsciiLetter(S(c)[0]) && !IsVowel(S(c)), ["that are consonants"], Noun: ["consonants (letters other than a, e, i, o, u)"], NameWord: "consonant"),
        new("digit", VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.isdigit()", Lang.JavaScript => $"{c} >= \"0\" && {c} <= \"9\"", _ => $"char.IsDigit({c})" },
            (c, _) => char.IsAsciiDigit(S(c)[0]), ["that are digits"], Noun: ["digits", "digit characters"], NameWord: "digit"),
        new("letter", VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.isalpha()", Lang.JavaScript => $"/[a-z]/i.test({c})", _ => $"char.IsLetter({c})" },
            (c, _) => char.IsAsciiLetter(S(c)[0]), ["that are letters"], Noun: ["letters"], NameWord: "letter"),
        new("upper", VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.isupper()", Lang.JavaScript => $"{c} >= \"A\" && {c} <= \"Z\"", _ => $"char.IsUpper({c})" },
            (c, _) => char.IsAsciiLetterUpper(S(c)[0]), ["that are uppercase letters"], Noun: ["uppercase letters", "capital letters"], NameWord: "upper"),
        new("lower", VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.islower()", Lang.JavaScript => $"{c} >= \"a\" && {c} <= \"z\"", _ => $"char.IsLower({c})" },
            (c, _) => char.IsAsciiLetterLower(S(c)[0]), ["that are lowercase letters"], Noun: ["lowercase letters"], NameWord: "lower"),
        new("space", VType.Char, [], (l, c, _) => $"{c} {Eq(l)} {Ch(l, " ")}", (c, _) => S(c) == " ", ["that are spaces"], Noun: ["spaces"], NameWord: "space"),
        new("not_space", VType.Char, [], (l, c, _) => $"{c} {Ne(l)} {Ch(l, " ")}", (c, _) => S(c) != " ",
            ["that are not spaces", "other than spaces"], Noun: ["characters that are not spaces", "non-space characters"], NameWord: "nonspace"),
        new("is_letter", VType.Char, [Letter], (l, c, k) => $"{c} {Eq(l)} {k[0]}", (c, k) => S(c) == S(k[0]),
            ["equal to {k}"], Noun: ["occurrences of {k}"], NameWord: "letter"),
    ];

    private static string Len(Lang l, string v) => l switch { Lang.Python => $"len({v})", Lang.JavaScript => $"{v}.length", _ => $"{v}.Length" };

    public static readonly MapOp[] IntMaps =
    [
        new("double", VType.Int, VType.Int, [], (_, x, _) => $"{x} * 2", (x, _) => I(x) * 2,
            ["{np} doubled", "twice {np}", "{np}, each multiplied by 2"], ["double each of them", "multiply each one by 2"], "doubled"),
        new("times", VType.Int, VType.Int, [Factor], (_, x, k) => $"{x} * {k[0]}", (x, k) => I(x) * I(k[0]),
            ["{np} multiplied by {k}", "{np}, each times {k}", "{k} times {np}"], ["multiply each one by {k}", "multiply them by {k}"], "scaled"),
        new("plus", VType.Int, VType.Int, [Offset], (_, x, k) => $"{x} + {k[0]}", (x, k) => I(x) + I(k[0]),
            ["{np} plus {k}", "{np}, each increased by {k}"], ["add {k} to each of them", "increase each one by {k}"], "shifted"),
        new("minus", VType.Int, VType.Int, [Offset], (_, x, k) => $"{x} - {k[0]}", (x, k) => I(x) - I(k[0]),
            ["{np} minus {k}", "{np}, each decreased by {k}"], ["subtract {k} from each of them", "decrease each one by {k}"], "lowered"),
        new("square", VType.Int, VType.Int, [], (_, x, _) => $"{x} * {x}", (x, _) => I(x) * I(x),
            ["the squares of {np}", "{np} squared"], ["square each of them", "square them"], "squares"),
        new("abs", VType.Int, VType.Int, [], (l, x, _) => l switch { Lang.Python => $"abs({x})", Lang.JavaScript => $"Math.abs({x})", _ => $"Math.Abs({x})" },
            (x, _) => Math.Abs(I(x)), ["the absolute values of {np}"], ["take the absolute value of each"], "absolute"),
    ];

    public static readonly MapOp[] WordMaps =
    [
        new("upper", VType.Str, VType.Str, [], (l, w, _) => l switch { Lang.Python => $"{w}.upper()", Lang.JavaScript => $"{w}.toUpperCase()", _ => $"{w}.ToUpper()" },
            (w, _) => S(w).ToUpperInvariant(), ["{np} in upper case", "{np} converted to uppercase"], ["convert each to upper case", "uppercase them"], "upper"),
        new("lower", VType.Str, VType.Str, [], (l, w, _) => l switch { Lang.Python => $"{w}.lower()", Lang.JavaScript => $"{w}.toLowerCase()", _ => $"{w}.ToLower()" },
            (w, _) => S(w).ToLowerInvariant(), ["{np} in lower case", "{np} converted to lowercase"], ["convert each to lower case", "lowercase them"], "lower"),
        new("capitalize", VType.Str, VType.Str, [], (l, w, _) => l switch
            {
                Lang.Python => $"{w}.capitalize()",
                Lang.JavaScript => $"{w}[0].toUpperCase() + {w}.slice(1).toLowerCase()",
                _ => $"char.ToUpper({w}[0]) + {w}.Substring(1).ToLower()",
            },
            (w, _) => char.ToUpperInvariant(S(w)[0]) + S(w)[1..].ToLowerInvariant(),
            ["{np} capitalized (first letter upper case, the rest lower case)"], ["capitalize each one (first letter upper case, the rest lower case)"], "capitalized"),
        new("reverse", VType.Str, VType.Str, [], (l, w, _) => l switch { Lang.Python => $"{w}[::-1]", Lang.JavaScript => $"[...{w}].reverse().join(\"\")", _ => $"new string({w}.Reverse().ToArray())" },
            (w, _) => new string(S(w).Reverse().ToArray()), ["{np}, each spelled backwards", "{np} with their letters reversed"], ["reverse the letters of each one"], "reversed"),
        new("first_letter", VType.Str, VType.Str, [], (l, w, _) => l == Lang.CSharp ? $"{w}[0].ToString()" : $"{w}[0]",
            (w, _) => S(w)[..1], ["the first letters of {np}", "the first character of each of {np}"], ["take the first letter of each"], "initials"),
        new("length", VType.Str, VType.Int, [], (l, w, _) => Len(l, w), (w, _) => (long)S(w).Length,
            ["the lengths of {np}", "the number of characters in each of {np}"], ["take the length of each"], "lengths"),
    ];

    public static readonly MapOp[] CharMaps =
    [
        new("upper", VType.Char, VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.upper()", Lang.JavaScript => $"{c}.toUpperCase()", _ => $"char.ToUpper({c})" },
            (c, _) => S(c).ToUpperInvariant(), ["{np} in upper case"], ["make each one upper case"], "upper"),
        new("lower", VType.Char, VType.Char, [], (l, c, _) => l switch { Lang.Python => $"{c}.lower()", Lang.JavaScript => $"{c}.toLowerCase()", _ => $"char.ToLower({c})" },
            (c, _) => S(c).ToLowerInvariant(), ["{np} in lower case"], ["make each one lower case"], "lower"),
    ];

    public static readonly Finisher[] IntFinishers =
    [
        new("list", VType.Int, VType.IntList, _ => "values", v => v, ["a list of {np}, in their original order", "{np} as a list, keeping their order", "a new list with {np}"],
            ["return them as a list in their original order", "return the list of them"], "list", NameFirst: false),
        new("sum", VType.Int, VType.Int, l => l switch { Lang.Python => "sum(values)", Lang.JavaScript => "values.reduce((a, b) => a + b, 0)", _ => "values.Sum()" },
            v => v.Sum(I), ["the sum of {np}", "the total of {np}"], ["return their sum", "add them up and return the total"], "sum"),
        new("product", VType.Int, VType.Int, l => l switch { Lang.Python => "math.prod(values)", Lang.JavaScript => "values.reduce((a, b) => a * b, 1)", _ => "values.Aggregate(1, (a, b) => a * b)" },
            v => v.Aggregate(1L, (a, b) => a * I(b)), ["the product of {np} (1 if there are none)"], ["return their product (1 if there are none)"], "product"),
        new("count", VType.Int, VType.Int, l => l switch { Lang.Python => "len(values)", Lang.JavaScript => "values.length", _ => "values.Count" },
            v => (long)v.Count, ["how many {np} there are", "the number of {np}", "the count of {np}"], ["return how many there are", "count them"], "count", AllowsMap: false),
        new("max", VType.Int, VType.Int, l => l switch { Lang.Python => "max(values) if values else 0", Lang.JavaScript => "values.length > 0 ? Math.max(...values) : 0", _ => "values.Count > 0 ? values.Max() : 0" },
            v => v.Count > 0 ? v.Max(I) : 0L, ["the largest of {np}, or 0 if there are none", "the maximum of {np} (0 when there are none)"],
            ["return the largest one (0 if there are none)"], "max"),
        new("min", VType.Int, VType.Int, l => l switch { Lang.Python => "min(values) if values else 0", Lang.JavaScript => "values.length > 0 ? Math.min(...values) : 0", _ => "values.Count > 0 ? values.Min() : 0" },
            v => v.Count > 0 ? v.Min(I) : 0L, ["the smallest of {np}, or 0 if there are none", "the minimum of {np} (0 when there are none)"],
            ["return the smallest one (0 if there are none)"], "min"),
        new("first", VType.Int, VType.Int, l => l switch { Lang.Python => "values[0] if values else -1", Lang.JavaScript => "values.length > 0 ? values[0] : -1", _ => "values.Count > 0 ? values[0] : -1" },
            v => v.Count > 0 ? v[0] : -1L, ["the first of {np}, or -1 if there is none"], ["return the first one (-1 if there is none)"], "first"),
        new("last", VType.Int, VType.Int, l => l switch { Lang.Python => "values[-1] if values else -1", Lang.JavaScript => "values.length > 0 ? values[values.length - 1] : -1", _ => "values.Count > 0 ? values[values.Count - 1] : -1" },
            v => v.Count > 0 ? v[^1] : -1L, ["the last of {np}, or -1 if there is none"], ["return the last one (-1 if there is none)"], "last"),
        new("sorted", VType.Int, VType.IntList, l => l switch { Lang.Python => "sorted(values)", Lang.JavaScript => "values.sort((a, b) => a - b)", _ => "values.OrderBy(v => v).ToList()" },
            v => v.OrderBy(I).ToList(), ["{np} sorted in ascending order", "a list of {np} sorted from smallest to largest"], ["return them sorted from smallest to largest"], "sorted"),
        new("sorted_desc", VType.Int, VType.IntList, l => l switch { Lang.Python => "sorted(values, reverse=True)", Lang.JavaScript => "values.sort((a, b) => b - a)", _ => "values.OrderByDescending(v => v).ToList()" },
            v => v.OrderByDescending(I).ToList(), ["{np} sorted in descending order", "a list of {np} from largest to smallest"], ["return them sorted from largest to smallest"], "sorted_desc"),
        new("reversed", VType.Int, VType.IntList, l => l switch { Lang.Python => "values[::-1]", Lang.JavaScript => "values.reverse()", _ => "Enumerable.Reverse(values).ToList()" },
            v => Enumerable.Reverse(v).ToList(), ["{np} in reverse order", "a list of {np}, last one first"], ["return them in reverse order"], "reversed"),
        new("distinct", VType.Int, VType.IntList, l => l switch { Lang.Python => "list(dict.fromkeys(values))", Lang.JavaScript => "[...new Set(values)]", _ => "values.Distinct().ToList()" },
            v => v.Distinct().ToList(), ["{np} without duplicates, in order of first appearance"], ["return them without duplicates, keeping the first occurrence of each"], "unique"),
        new("any", VType.Int, VType.Bool, l => l switch { Lang.Python => "len(values) > 0", Lang.JavaScript => "values.length > 0", _ => "values.Count > 0" },
            v => v.Count > 0, ["whether there are any {np}", "true if there is at least one of {np}, false otherwise"], ["return whether there is at least one"], "has", AllowsMap: false),
    ];

    public static readonly Finisher[] StrFinishers =
    [
        new("list", VType.Str, VType.StrList, _ => "values", v => v, ["a list of {np}, in their original order", "{np} as a list"], ["return them as a list"], "list", NameFirst: false),
        new("join_space", VType.Str, VType.Str, l => l switch { Lang.Python => "\" \".join(values)", Lang.JavaScript => "values.join(\" \")", _ => "string.Join(\" \", values)" },
            v => string.Join(" ", v.Select(S)), ["{np} joined by single spaces", "one string of {np} separated by spaces"], ["join them with spaces and return the string"], "joined"),
        new("join_comma", VType.Str, VType.Str, l => l switch { Lang.Python => "\", \".join(values)", Lang.JavaScript => "values.join(\", \")", _ => "string.Join(\", \", values)" },
            v => string.Join(", ", v.Select(S)), ["{np} joined by \", \"", "one string of {np} separated by a comma and a space"], ["join them with \", \" and return the string"], "csv"),
        new("join_dash", VType.Str, VType.Str, l => l switch { Lang.Python => "\"-\".join(values)", Lang.JavaScript => "values.join(\"-\")", _ => "string.Join(\"-\", values)" },
            v => string.Join("-", v.Select(S)), ["{np} joined by \"-\"", "one string of {np} separated by dashes"], ["join them with dashes and return the string"], "dashed"),
        new("concat", VType.Str, VType.Str, l => l switch { Lang.Python => "\"\".join(values)", Lang.JavaScript => "values.join(\"\")", _ => "string.Join(\"\", values)" },
            v => string.Concat(v.Select(S)), ["{np} joined together with nothing between them", "the concatenation of {np}"], ["concatenate them and return the string"], "concat"),
        new("count", VType.Str, VType.Int, l => l switch { Lang.Python => "len(values)", Lang.JavaScript => "values.length", _ => "values.Count" },
            v => (long)v.Count, ["how many {np} there are", "the number of {np}"], ["return how many there are"], "count", AllowsMap: false),
        new("sorted", VType.Str, VType.StrList, l => l switch { Lang.Python => "sorted(values)", Lang.JavaScript => "values.sort()", _ => "values.OrderBy(v => v, StringComparer.Ordinal).ToList()" },
            v => v.OrderBy(S, StringComparer.Ordinal).ToList(), ["{np} sorted alphabetically", "a sorted list of {np}"], ["return them sorted alphabetically"], "sorted"),
        new("longest", VType.Str, VType.Str, l => l switch
            {
                Lang.Python => "max(values, key=len) if values else \"\"",
                Lang.JavaScript => "values.reduce((a, b) => (b.length > a.length ? b : a), \"\")",
                _ => "values.Aggregate(\"\", (a, b) => b.Length > a.Length ? b : a)",
            },
            v => v.Aggregate("", (a, b) => S(b).Length > a.Length ? S(b) : a), ["the longest of {np} (the first one on a tie, \"\" if there are none)"],
            ["return the longest one (the first on a tie, \"\" if there are none)"], "longest"),
        new("first", VType.Str, VType.Str, l => l switch { Lang.Python => "values[0] if values else \"\"", Lang.JavaScript => "values.length > 0 ? values[0] : \"\"", _ => "values.Count > 0 ? values[0] : \"\"" },
            v => v.Count > 0 ? v[0] : "", ["the first of {np}, or \"\" if there is none"], ["return the first one (\"\" if there is none)"], "first"),
    ];

    public static readonly Finisher[] CharFinishers =
    [
        new("concat", VType.Char, VType.Str, l => l switch { Lang.Python => "\"\".join(values)", Lang.JavaScript => "values.join(\"\")", _ => "string.Join(\"\", values)" },
            v => string.Concat(v.Select(S)), ["a string of {np}, in order", "{np} joined into one string"], ["join them into a string and return it"], "only"),
        new("count", VType.Char, VType.Int, l => l switch { Lang.Python => "len(values)", Lang.JavaScript => "values.length", _ => "values.Count" },
            v => (long)v.Count, ["how many {np} there are", "the number of {np}"], ["return how many there are"], "count", AllowsMap: false),
        new("any", VType.Char, VType.Bool, l => l switch { Lang.Python => "len(values) > 0", Lang.JavaScript => "values.length > 0", _ => "values.Count > 0" },
            v => v.Count > 0, ["whether there are any {np}"], ["return whether there is at least one"], "has", AllowsMap: false),
    ];

    public static Cond[] CondsFor(VType element) => element switch { VType.Int => IntConds, VType.Str => WordConds, _ => CharConds };

    public static MapOp[] MapsFor(VType element) => element switch { VType.Int => IntMaps, VType.Str => WordMaps, _ => CharMaps };

    public static Finisher[] FinishersFor(VType element) => element switch { VType.Int => IntFinishers, VType.Str => StrFinishers, _ => CharFinishers };
}
