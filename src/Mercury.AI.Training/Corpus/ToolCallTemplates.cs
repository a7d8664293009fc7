using System.Text.Json;

namespace Mercury.AI.Training.Corpus;

/// <summary>A tool-call task: the expected call in the provider's syntax, <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>.</summary>
public sealed record ToolCallTemplate(string Id, string Tool, string Argument, string[] Phrasings, Func<Random, string> Value)
{
    public (string Instruction, string Answer) Draw(Random random)
    {
        string value = Value(random);
        string instruction = FunctionTemplate.Pick(random, Phrasings).Replace("{v}", value);
        return (instruction, Render(Tool, new Dictionary<string, string> { [Argument] = value }));
    }

    /// <summary>The call as the model writes it: compact JSON with a space after separators, as the provider parses it.</summary>
    public static string Render(string name, IReadOnlyDictionary<string, string> arguments)
    {
        string args = string.Join(", ", arguments.Select(a => $"{JsonSerializer.Serialize(a.Key)}: {JsonSerializer.Serialize(a.Value)}"));
        return $"<tool_call>{{\"name\": {JsonSerializer.Serialize(name)}, \"arguments\": {{{args}}}}}</tool_call>";
    }
}

public static class ToolCallTemplates
{
    private static readonly string[] Dirs = ["src", "lib", "app", "tests", "scripts", "web"];
    private static readonly string[] Files = ["main", "utils", "parser", "server", "models", "helpers", "config", "api"];
    private static readonly string[] Identifiers = ["parse_args", "UserService", "load_config", "fetchData", "render", "MAX_SIZE", "connect", "handleClick"];

    private static string Path(Random r) =>
        $"{FunctionTemplate.Pick(r, Dirs)}/{FunctionTemplate.Pick(r, Files)}{FunctionTemplate.Pick(r, new[] { ".py", ".js", ".html" })}";

    public static readonly ToolCallTemplate[] Seen =
    [
        new("tool.read_file", "read_file", "path", ["Show me the contents of `{v}`.", "Open {v} and read it.", "What is in the file `{v}`?"], Path),
        new("tool.list_dir", "list_dir", "path", ["List the files in `{v}`.", "What is inside the folder {v}?", "Show the directory `{v}`."],
            r => FunctionTemplate.Pick(r, Dirs)),
        new("tool.run_tests", "run_tests", "path", ["Run the tests in `{v}`.", "Please run {v} and tell me if the tests pass.", "Execute the test file `{v}`."],
            r => $"tests/test_{FunctionTemplate.Pick(r, Files)}.py"),
        new("tool.search_code", "search_code", "query", ["Find where `{v}` is used in the code.", "Search the project for {v}.", "Where is `{v}` defined?"],
            r => FunctionTemplate.Pick(r, Identifiers)),
    ];
}
