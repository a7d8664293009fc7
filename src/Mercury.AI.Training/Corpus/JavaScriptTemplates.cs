namespace Mercury.AI.Training.Corpus;

/// <summary>JavaScript function templates (run with node and <c>assert</c>).</summary>
public static class JavaScriptTemplates
{
    private static readonly string[] Str = ["s", "text", "str"];
    private static readonly string[] Arr = ["arr", "nums", "values", "list"];
    private static readonly string[] Num = ["n", "x", "num"];
    private static readonly string[] Obj = ["obj", "data", "map"];

    private static FunctionTemplate Js(string id, string[] names, string[][] args, string[] desc, string code, string[] inputs, (int, int)? k = null) =>
        new(id, TaskKind.JavaScript, names, args, desc, code, inputs, k);

    public static readonly FunctionTemplate[] Seen =
    [
        Js("js.reverse_string", ["reverseString", "reverseText", "reversed"], [Str],
            ["returns the string `{a}` reversed", "returns the characters of `{a}` in reverse order"],
            "function {name}({a}) {\n  return {a}.split(\"\").reverse().join(\"\");\n}\n",
            ["\"hello\"", "\"\"", "\"ab c\""]),
        Js("js.sum_array", ["sumArray", "total", "addAll"], [Arr],
            ["returns the sum of the numbers in the array `{a}`", "adds up all numbers of `{a}` and returns the total"],
            "function {name}({a}) {\n  let total = 0;\n  for (const x of {a}) {\n    total += x;\n  }\n  return total;\n}\n",
            ["[1, 2, 3]", "[]", "[-5, 10, 2]"]),
        Js("js.filter_even", ["evenNumbers", "onlyEven", "filterEven"], [Arr],
            ["returns an array of the even numbers in `{a}`, in order", "keeps only the even numbers of `{a}`"],
            "function {name}({a}) {\n  return {a}.filter((x) => x % 2 === 0);\n}\n",
            ["[1, 2, 3, 4]", "[]", "[5, 7, 8, -2]"]),
        Js("js.scale", ["scale", "multiplyAll", "timesK"], [Arr],
            ["returns a new array with every number of `{a}` multiplied by {k}", "multiplies each number of `{a}` by {k}"],
            "function {name}({a}) {\n  return {a}.map((x) => x * {k});\n}\n",
            ["[1, 2, 3]", "[]", "[-1, 0, 5]"], (2, 9)),
        Js("js.count_vowels", ["countVowels", "vowelCount", "numVowels"], [Str],
            ["returns the number of vowels (a, e, i, o, u) in the string `{a}`, ignoring case", "counts the vowels of `{a}`, upper or lower case"],
            "function {name}({a}) {\n  let count = 0;\n  for (const ch of {a}.toLowerCase()) {\n    if (\"aeiou\".includes(ch)) count++;\n  }\n  return count;\n}\n",
            ["\"hello\"", "\"AEIOU and y\"", "\"\""]),
        Js("js.factorial", ["factorial", "fact", "computeFactorial"], [Num],
            ["returns the factorial of the non-negative integer `{a}`", "computes `{a}`! with a loop"],
            "function {name}({a}) {\n  let result = 1;\n  for (let i = 2; i <= {a}; i++) {\n    result *= i;\n  }\n  return result;\n}\n",
            ["0", "1", "5", "8"]),
        Js("js.max_array", ["maxValue", "largest", "findMax"], [Arr],
            ["returns the largest number in the non-empty array `{a}`", "finds the biggest number of the non-empty array `{a}`"],
            "function {name}({a}) {\n  return Math.max(...{a});\n}\n",
            ["[3, 9, 2]", "[-4, -2, -8]", "[7]"]),
        Js("js.capitalize", ["capitalize", "upperFirst", "capitalizeFirst"], [Str],
            ["returns `{a}` with its first character in upper case", "upper-cases the first letter of `{a}`"],
            "function {name}({a}) {\n  return {a}.charAt(0).toUpperCase() + {a}.slice(1);\n}\n",
            ["\"hello\"", "\"\"", "\"a b\""]),
        Js("js.count_words", ["countWords", "wordCount", "wordFrequencies"], [Str],
            ["returns an object mapping each word of `{a}` (split on spaces) to how many times it appears", "counts the words of `{a}` into an object"],
            "function {name}({a}) {\n  const counts = {};\n  for (const word of {a}.split(\" \")) {\n    if (word) counts[word] = (counts[word] || 0) + 1;\n  }\n  return counts;\n}\n",
            ["\"a b a\"", "\"\"", "\"the cat the\""]),
        Js("js.is_palindrome", ["isPalindrome", "palindrome", "checkPalindrome"], [Str],
            ["returns true if `{a}` reads the same forwards and backwards, ignoring case", "checks whether `{a}` is a palindrome (case-insensitive)"],
            "function {name}({a}) {\n  const lower = {a}.toLowerCase();\n  return lower === lower.split(\"\").reverse().join(\"\");\n}\n",
            ["\"Level\"", "\"hello\"", "\"\""]),
        Js("js.squares", ["squares", "squareList", "firstSquares"], [Num],
            ["returns an array of the squares of the integers from 1 to `{a}`", "builds [1, 4, 9, ...] up to `{a}` squared"],
            "function {name}({a}) {\n  return Array.from({ length: {a} }, (_, i) => (i + 1) * (i + 1));\n}\n",
            ["0", "1", "5"]),
        Js("js.sum_values", ["sumValues", "totalOfValues", "addValues"], [Obj],
            ["returns the sum of the values of the object `{a}`", "adds up all values of the object `{a}`"],
            "function {name}({a}) {\n  return Object.values({a}).reduce((sum, v) => sum + v, 0);\n}\n",
            ["{ a: 1, b: 2 }", "{}", "{ x: -3, y: 10 }"]),
    ];

    public static readonly FunctionTemplate[] Unseen =
    [
        Js("js.min_array", ["minValue", "smallest"], [Arr],
            ["returns the smallest number in the non-empty array `{a}`"],
            "function {name}({a}) {\n  return Math.min(...{a});\n}\n",
            ["[3, 9, 2]", "[-4, -2, -8]"]),
        Js("js.filter_odd", ["oddNumbers", "onlyOdd"], [Arr],
            ["returns an array of the odd numbers in `{a}`, in order"],
            "function {name}({a}) {\n  return {a}.filter((x) => x % 2 !== 0);\n}\n",
            ["[1, 2, 3, 4]", "[]"]),
        Js("js.count_keys", ["countKeys", "keyCount"], [Obj],
            ["returns how many keys the object `{a}` has"],
            "function {name}({a}) {\n  return Object.keys({a}).length;\n}\n",
            ["{ a: 1, b: 2 }", "{}"]),
    ];
}
