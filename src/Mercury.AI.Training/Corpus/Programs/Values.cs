using System.Globalization;
using System.Text;

namespace Mercury.AI.Training.Corpus.Programs;

/// <summary>The three languages the corpus writes functions in.</summary>
public enum Lang
{
    Python,
    JavaScript,
    CSharp,
}

/// <summary>The value types programs take and return. Chars are one-character strings at run time.</summary>
public enum VType
{
    Int,
    Str,
    Char,
    Bool,
    IntList,
    StrList,
    CharList,
}

/// <summary>Language names, literals and type names for the values the corpus uses (ASCII strings without quotes
/// or backslashes, integers well inside 32 bits), so one interpreter's result is every language's result.</summary>
public static class Values
{
    public static string Tag(Lang lang) => lang switch { Lang.Python => "python", Lang.JavaScript => "javascript", _ => "csharp" };

    public static string ElementOf(VType list) => list switch { VType.IntList => "int", VType.StrList => "string", _ => "char" };

    public static VType ListOf(VType element) => element switch
    {
        VType.Int => VType.IntList,
        VType.Str => VType.StrList,
        VType.Char => VType.CharList,
        _ => throw new ArgumentException($"no list of {element}"),
    };

    /// <summary>C# type name; <paramref name="arrays"/> writes list parameters as arrays (<c>int[]</c>).</summary>
    public static string CsType(VType type, bool arrays = false) => type switch
    {
        VType.Int => "int",
        VType.Str => "string",
        VType.Char => "char",
        VType.Bool => "bool",
        VType.IntList => arrays ? "int[]" : "List<int>",
        VType.StrList => arrays ? "string[]" : "List<string>",
        _ => arrays ? "char[]" : "List<char>",
    };

    /// <summary>A literal of <paramref name="value"/> (long, string, bool or a list of them) in <paramref name="lang"/>.</summary>
    public static string Literal(Lang lang, VType type, object value, bool arrays = false) => (type, value) switch
    {
        (VType.Int, long n) => n.ToString(CultureInfo.InvariantCulture),
        (VType.Str, string s) => Quote(s),
        (VType.Char, string c) => lang == Lang.CSharp ? $"'{c}'" : Quote(c),
        (VType.Bool, bool b) => lang == Lang.Python ? (b ? "True" : "False") : (b ? "true" : "false"),
        (_, List<object> items) => ListLiteral(lang, type, items, arrays),
        _ => throw new ArgumentException($"{value} is not a {type}"),
    };

    private static string ListLiteral(Lang lang, VType type, List<object> items, bool arrays)
    {
        var element = type switch { VType.IntList => VType.Int, VType.StrList => VType.Str, _ => VType.Char };
        string inner = string.Join(", ", items.Select(i => Literal(lang, element, i)));
        if (lang != Lang.CSharp) return $"[{inner}]";
        string name = ElementOf(type);
        if (items.Count == 0) return arrays ? $"new {name}[0]" : $"new List<{name}>()";
        return arrays ? $"new {name}[] {{ {inner} }}" : $"new List<{name}> {{ {inner} }}";
    }

    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c is '"' or '\\' || c < ' ' || c > '~') throw new ArgumentException($"corpus strings are printable ASCII without quotes: {s}");
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    public static bool Equal(object a, object b) => (a, b) switch
    {
        (List<object> x, List<object> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
        _ => a.Equals(b),
    };

    /// <summary>Whether every integer in the value fits in 32 bits (C#'s <c>int</c>) with room to spare.</summary>
    public static bool Fits(object value) => value switch
    {
        long n => Math.Abs(n) < 1_000_000_000,
        List<object> items => items.All(Fits),
        _ => true,
    };

    /// <summary>snake_case → camelCase / PascalCase.</summary>
    public static string Case(string snake, Lang lang)
    {
        if (lang == Lang.Python) return snake;
        var parts = snake.Split('_', StringSplitOptions.RemoveEmptyEntries);
        string pascal = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        return lang == Lang.CSharp ? pascal : char.ToLowerInvariant(pascal[0]) + pascal[1..];
    }
}
