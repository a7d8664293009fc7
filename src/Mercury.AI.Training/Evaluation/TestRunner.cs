using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mercury.AI.Training.Corpus;

namespace Mercury.AI.Training.Evaluation;

/// <summary>The outcome of checking one answer.</summary>
public sealed record CheckResult(bool Passed, string Output);

/// <summary>
/// Checks an answer against a task's tests in a plain subprocess (python3 / node) with a timeout. This is not a
/// sandbox: it runs code the model wrote, so use it on the project's own corpus only (the sandboxed runner replaces it).
/// </summary>
public static partial class TestRunner
{
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public static CheckResult Check(CodingTask task, string answer) => task.Kind switch
    {
        TaskKind.ToolCall => CheckToolCall(task.Solution, answer),
        TaskKind.Html => CheckHtml(task, ChatFormat.ExtractCode(answer)),
        _ => Run(task.Language, ChatFormat.ExtractCode(answer) + "\n\n" + task.Tests),
    };

    /// <summary>Runs a Python or JavaScript program; passes when it exits with 0 within the timeout.</summary>
    public static CheckResult Run(string language, string program)
    {
        string extension = language == "python" ? ".py" : ".js";
        string file = Path.Combine(Path.GetTempPath(), $"mercury-eval-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(file, program);
        try
        {
            return Exec(language == "python" ? "python3" : "node", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static CheckResult Exec(string exe, params string[] args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {exe}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            return new CheckResult(false, $"Timed out after {Timeout.TotalSeconds:F0} s");
        }
        string output = (stdout.Result + stderr.Result).Trim();
        return new CheckResult(process.ExitCode == 0, Tail(output, 6));
    }

    /// <summary>Static form of the DOM checks: every required snippet is present and the page's script parses.</summary>
    public static CheckResult CheckHtml(CodingTask task, string page)
    {
        var missing = task.RequiredSnippets.Where(s => !page.Contains(s, StringComparison.Ordinal)).ToList();
        if (missing.Count > 0) return new CheckResult(false, "Missing: " + string.Join(", ", missing));
        var script = ScriptRegex().Match(page);
        if (!script.Success) return new CheckResult(false, "No <script> element");
        string file = Path.Combine(Path.GetTempPath(), $"mercury-eval-{Guid.NewGuid():N}.js");
        File.WriteAllText(file, script.Groups[1].Value);
        try
        {
            var parsed = Exec("node", "--check", file);
            return parsed.Passed ? new CheckResult(true, "") : new CheckResult(false, "Script does not parse: " + parsed.Output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The answer holds exactly the expected call: same name, same arguments (JSON equality).</summary>
    public static CheckResult CheckToolCall(string expected, string answer)
    {
        var want = ParseCall(expected);
        var got = ParseCall(answer);
        if (got is null) return new CheckResult(false, "No parsable <tool_call>");
        return JsonNode.DeepEquals(want, got) ? new CheckResult(true, "") : new CheckResult(false, $"Expected {want?.ToJsonString()}, got {got.ToJsonString()}");
    }

    private static JsonNode? ParseCall(string text)
    {
        var m = ToolCallRegex().Match(text);
        if (!m.Success) return null;
        try { return JsonNode.Parse(m.Groups[1].Value); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    [GeneratedRegex(@"<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptRegex();

    [GeneratedRegex(@"<tool_call>(.*?)</tool_call>", RegexOptions.Singleline)]
    private static partial Regex ToolCallRegex();
}
