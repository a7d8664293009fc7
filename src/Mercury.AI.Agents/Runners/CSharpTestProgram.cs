using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mercury.AI.Agents.Runners;

/// <summary>
/// Builds the C# test program: app.cs = directives, hoisted usings, the test's top-level statements, then the
/// solution's types. A test file passes only when its program reaches the end of its statements: the first statement
/// reads the run's secret from stdin, the last prints it back ("@@MERCURY-DONE-secret@@"), so a solution that ends the
/// process early (Environment.Exit(0) from a static constructor) proves nothing.
/// <para>The solution is compiled with the tests, so some declarations would let it reach them and are refused before
/// anything is built: code that runs before Main (a module initializer, members of the Program class) could read the
/// secret first; a namespace declaration, a using alias or a type named like a type the tests import (a class Debug
/// whose Assert does nothing) would change what the tests' own names mean.</para>
/// </summary>
internal static partial class CSharpTestProgram
{
    public const string DoneMarker = "@@MERCURY-DONE-";

    // The namespaces every test program imports; a test's own usings are added per file.
    private static readonly string[] DefaultUsings = ["System", "System.Collections.Generic", "System.Diagnostics", "System.Linq"];

    /// <summary>Why the solution cannot be run with these tests, or null.</summary>
    public static string? Refusal(string solution, string tests)
    {
        // Identifiers may be written with \u escapes, an @ prefix or invisible formatting characters; compare them as the compiler does.
        string code = UnicodeEscape().Replace(solution, m => char.ConvertFromUtf32(int.Parse(
            m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        code = string.Concat(code.Where(c => char.GetUnicodeCategory(c) != UnicodeCategory.Format)).Replace("@", "", StringComparison.Ordinal);
        if (code.Contains("ModuleInitializer", StringComparison.Ordinal))
            return "The solution declares a module initializer (code that runs before the tests); that is not allowed here.";
        if (NamespaceDeclaration().IsMatch(code))
            return "The solution declares a namespace; write the types at the top level, without a namespace.";
        if (code.Split('\n').FirstOrDefault(l => UsingAlias().IsMatch(l)) is { } alias)
            return $"The solution's directive '{alias.Trim()}' would change what names mean in the tests; use plain 'using Namespace;' directives.";
        var imported = DefaultUsings.Concat(NamespacesOf(tests)).Concat(NamespacesOf(code)).ToHashSet(StringComparer.Ordinal);
        foreach (Match m in DeclaredType().Matches(code))
        {
            string name = m.Groups["name"].Value;
            if (name == "Program") return "The solution declares a type named Program, which is the test program's own class; rename it.";
            if (LibraryTypeNamespace(name, imported) is { } ns)
                return $"The solution declares a type named {name}, which would hide {ns}.{name} from the tests; rename it.";
        }
        return null;
    }

    private static IEnumerable<string> NamespacesOf(string code) =>
        code.Split('\n').Select(l => UsingDirective().Match(l)).Where(m => m.Success && m.Groups[1].Length == 0 && m.Groups[2].Length == 0)
            .Select(m => m.Value.Trim()["using ".Length..].TrimEnd(';', ' ').Trim());

    /// <summary>The imported namespace whose library type of that name tests use to check results, if any.</summary>
    private static string? LibraryTypeNamespace(string name, HashSet<string> imported) =>
        ProtectedTypes.Value.TryGetValue(name, out var ns) && imported.Contains(ns) ? ns : null;

    // What tests check results with: every public type of System.Diagnostics (Debug, Trace) and System.Linq
    // (Enumerable), and the core types of System and System.Collections.Generic that asserts compare with. Types a task
    // may well ask for (Stack, Queue, Range, Version, ...) stay free to declare.
    private static readonly string[] ProtectedSystemTypes =
    [
        "Console", "Environment", "Math", "MathF", "String", "Object", "Array", "Convert", "GC", "AppDomain", "Exception",
        "Type", "Activator", "Int16", "Int32", "Int64", "UInt32", "UInt64", "Double", "Single", "Decimal", "Boolean", "Char",
        "Byte", "Func", "Action", "Predicate", "Nullable", "Delegate", "Enum", "ValueTuple", "Tuple", "StringComparer",
        "StringComparison", "IEquatable", "IComparable", "ArgumentException", "InvalidOperationException",
        "List", "Dictionary", "HashSet", "EqualityComparer", "Comparer", "KeyValuePair", "IEnumerable", "IList", "ICollection",
        "IDictionary", "IReadOnlyList", "IReadOnlyCollection", "IReadOnlyDictionary", "ISet", "IEnumerator",
    ];

    private static readonly Lazy<Dictionary<string, string>> ProtectedTypes = new(() =>
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var assemblies = new[] { typeof(object), typeof(Enumerable), typeof(List<>), typeof(Console), typeof(Debug) }.Select(t => t.Assembly).Distinct();
        foreach (var type in assemblies.SelectMany(a => a.GetExportedTypes()).Where(t => !t.IsNested && t.Namespace is not null))
        {
            string simple = type.Name.Split('`')[0];
            bool wholeNamespace = type.Namespace is "System.Diagnostics" or "System.Linq";
            bool listed = type.Namespace is "System" or "System.Collections.Generic" && ProtectedSystemTypes.Contains(simple);
            if (wholeNamespace || listed) names.TryAdd(simple, type.Namespace!);
        }
        return names;
    });

    public static string Compose(string solution, string tests, string secretVariable = "__mercurySecret")
    {
        var usings = new List<string> { "using System;", "using System.Collections.Generic;", "using System.Diagnostics;", "using System.Linq;" };
        string testBody = HoistUsings(tests, usings);
        string solutionBody = HoistUsings(solution, usings);
        int split = StatementsEnd(testBody);
        var sb = new StringBuilder();
        sb.AppendLine("#:property PublishAot=false");
        sb.AppendLine("#:property Nullable=disable");
        sb.AppendLine("#:property TreatWarningsAsErrors=false");
        foreach (var u in usings.Distinct(StringComparer.Ordinal)) sb.AppendLine(u);
        sb.AppendLine("// ---- tests ----");
        sb.AppendLine($"var {secretVariable} = global::System.Console.In.ReadLine();");
        sb.AppendLine(testBody[..split].TrimEnd());
        sb.AppendLine($"global::System.Console.Out.Flush(); global::System.Console.Out.WriteLine(\"\\n{DoneMarker}\" + {secretVariable} + \"@@\"); global::System.Console.Out.Flush();");
        sb.AppendLine(testBody[split..]);
        sb.AppendLine("// ---- solution ----");
        sb.AppendLine(solutionBody);
        return sb.ToString();
    }

    private static string HoistUsings(string code, List<string> usings)
    {
        var kept = new StringBuilder();
        foreach (var line in code.Replace("\r\n", "\n").Split('\n'))
        {
            if (UsingDirective().IsMatch(line)) usings.Add(line.Trim());
            else if (!line.TrimStart().StartsWith("#:", StringComparison.Ordinal)) kept.AppendLine(line);
        }
        return kept.ToString();
    }

    /// <summary>
    /// Where the top-level statements end: the start of the first line, outside braces, strings and comments, that
    /// declares a type or namespace (C# requires top-level statements to come first); the end of the text if none does.
    /// </summary>
    internal static int StatementsEnd(string code)
    {
        int depth = 0, i = 0;
        bool lineStart = true;
        while (i < code.Length)
        {
            char c = code[i];
            if (lineStart && depth == 0 && TypeDeclaration().IsMatch(code.AsSpan(i, Math.Min(200, code.Length - i)))) return i;
            lineStart = false;
            if (c == '\n') { lineStart = true; i++; }
            else if (c == '/' && At(code, i + 1) == '/') i = SkipTo(code, i, "\n");
            else if (c == '/' && At(code, i + 1) == '*') i = SkipTo(code, i + 2, "*/");
            else if (c is '"' or '$' or '@' && StringLength(code, i) is > 0 and var length) i += length;
            else if (c == '\'') i = SkipQuoted(code, i + 1, '\'', escapes: true);
            else
            {
                if (c == '{') depth++;
                else if (c == '}') depth = Math.Max(0, depth - 1);
                i++;
            }
        }
        return code.Length;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    private static int SkipTo(string s, int from, string end)
    {
        int at = s.IndexOf(end, from, StringComparison.Ordinal);
        return at < 0 ? s.Length : end == "\n" ? at : at + end.Length;
    }

    private static int SkipQuoted(string s, int i, char quote, bool escapes)
    {
        while (i < s.Length && s[i] != quote && s[i] != '\n') i += escapes && s[i] == '\\' ? 2 : 1;
        return Math.Min(s.Length, i + 1);
    }

    /// <summary>Length of a string literal starting at <paramref name="i"/> (regular, verbatim, raw, interpolated), or 0.</summary>
    private static int StringLength(string s, int i)
    {
        int j = i;
        int dollars = 0;
        bool verbatim = false;
        while (j < s.Length && (s[j] == '$' || s[j] == '@'))
        {
            if (s[j] == '$') dollars++; else verbatim = true;
            j++;
        }
        if (At(s, j) != '"') return 0;
        int quotes = 0;
        while (At(s, j + quotes) == '"') quotes++;
        if (quotes >= 3) // raw string: ends at the same run of quotes
        {
            int end = s.IndexOf(new string('"', quotes), j + quotes, StringComparison.Ordinal);
            return (end < 0 ? s.Length : end + quotes) - i;
        }
        j++;
        int holes = 0;
        while (j < s.Length)
        {
            char c = s[j];
            if (holes > 0)
            {
                if (c == '"' && StringLength(s, j) is > 0 and var inner) { j += inner; continue; }
                if (c == '{') holes++;
                else if (c == '}') holes--;
                j++;
            }
            else if (c == '\\' && !verbatim) j += 2;
            else if (c == '"' && verbatim && At(s, j + 1) == '"') j += 2;
            else if (c == '"') return j + 1 - i;
            else if (c == '\n' && !verbatim) return j - i;
            else if (c == '{' && dollars > 0 && At(s, j + 1) == '{') j += 2;
            else if (c == '{' && dollars > 0) { holes = 1; j++; }
            else j++;
        }
        return s.Length - i;
    }

    [GeneratedRegex(@"^\s*using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?\s*;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^[ \t]*(\[[^\]\n]*\][ \t]*)*((public|internal|private|protected|static|sealed|abstract|partial|readonly|ref|unsafe|file|new)\s+)*(class|struct|interface|enum|namespace|record|delegate)\s+[@\w]")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")]
    private static partial Regex UnicodeEscape();

    [GeneratedRegex(@"\b(class|struct|interface|enum|record(\s+(class|struct))?|delegate\s+[\w<>\[\],.? ]+?)\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex DeclaredType();

    [GeneratedRegex(@"\bnamespace\s+[\w.]+")]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"^\s*(global\s+using\b|using\s+(static\s+)?\w+\s*=)")]
    private static partial Regex UsingAlias();
}
