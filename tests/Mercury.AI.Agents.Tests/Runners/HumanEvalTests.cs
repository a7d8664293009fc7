using System.IO.Compression;
using System.Text.Json;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Runners;

/// <summary>
/// All 164 HumanEval canonical solutions pass in the python sandbox and a wrong completion fails — a real test of
/// the runner and the sandbox limits. Slower (about half a minute); runs in CI. Dataset: tests/datasets/humaneval.
/// </summary>
[Trait("Category", "Slow")]
public sealed class HumanEvalTests : IDisposable
{
    private readonly TempFolder _work = new("mercury-humaneval");

    public void Dispose() => _work.Dispose();

    internal sealed record Problem(string task_id, string prompt, string canonical_solution, string test, string entry_point);

    internal static string? LocateDataset() => Fixtures.FindInTestsFolder("datasets", "humaneval", "HumanEval.jsonl.gz");

    internal static List<Problem> Load()
    {
        string path = LocateDataset() ?? throw new FileNotFoundException("tests/datasets/humaneval/HumanEval.jsonl.gz not found above " + AppContext.BaseDirectory);
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var problems = new List<Problem>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) problems.Add(JsonSerializer.Deserialize<Problem>(line)!);
        return problems;
    }

    // HumanEval's program is prompt + completion + test + check(entry_point); the runner imports the solution
    // into the test's namespace, so check(candidate) sees the entry point.
    private static TestFile TestOf(Problem p) => new("test_humaneval.py", p.test + $"\n\ncheck({p.entry_point})\n");

    [Fact]
    public async Task All_164_canonical_solutions_pass_in_the_python_sandbox()
    {
        var problems = Load();
        Assert.Equal(164, problems.Count);
        var runner = new PythonRunner(SandboxFactory.Create(new SandboxOptions()));
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(problems, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, async (p, ct) =>
        {
            var result = await runner.RunAsync(p.prompt + p.canonical_solution, [TestOf(p)], _work.Combine(p.task_id.Replace('/', '_')), ct);
            if (!result.Passed) failures.Add($"{p.task_id}: {string.Join("; ", result.Tests.Where(t => !t.Passed).Select(t => t.Message))} {result.Exit} {result.Stderr}");
        });
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_wrong_completion_fails()
    {
        var p = Load()[0];
        var runner = new PythonRunner(SandboxFactory.Create(new SandboxOptions()));
        var result = await runner.RunAsync(p.prompt + "    return False\n", [TestOf(p)], _work.Combine("wrong"));
        Assert.False(result.Passed);
        Assert.Contains("AssertionError", result.Tests[0].Message);
    }
}
