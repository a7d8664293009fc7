using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Runners;

/// <summary>Each language runner with a passing and a failing solution, in the real sandbox.</summary>
public sealed class RunnerTests : IDisposable
{
    private readonly TempFolder _work = new("mercury-runner");
    private readonly ISandbox _sandbox = SandboxFactory.Create(new SandboxOptions());

    public void Dispose() => _work.Dispose();

    private Task<TestRunResult> Run(ILanguageRunner runner, string solution, params TestFile[] tests) =>
        runner.RunAsync(solution, tests, _work.Combine(Guid.NewGuid().ToString("N")));

    private const string PythonTests = """
        import unittest

        def test_adds():
            assert add(2, 3) == 5, "2 + 3"

        class AddTests(unittest.TestCase):
            def test_negative(self):
                self.assertEqual(add(-1, -1), -2)
        """;

    [Fact]
    public async Task Python_passing_solution_passes_function_and_unittest_tests()
    {
        var result = await Run(new PythonRunner(_sandbox), "def add(a, b):\n    return a + b\n", new TestFile("test_add.py", PythonTests));
        Assert.True(result.Passed, string.Join("\n", result.Tests) + result.Stderr);
        Assert.Equal(2, result.Tests.Count);
    }

    [Fact]
    public async Task Python_failing_solution_reports_the_failing_test_and_assertion()
    {
        var result = await Run(new PythonRunner(_sandbox), "def add(a, b):\n    return a - b\n", new TestFile("test_add.py", PythonTests));
        Assert.False(result.Passed);
        var failed = Assert.Single(result.Tests, t => t.Name == "test_adds");
        Assert.False(failed.Passed);
        Assert.Contains("AssertionError: 2 + 3", failed.Message);
    }

    [Fact]
    public async Task Python_solution_that_exits_early_does_not_pass()
    {
        var result = await Run(new PythonRunner(_sandbox), "import os\nos._exit(0)\n", new TestFile("t.py", "assert add(1, 1) == 2"));
        Assert.False(result.Passed);
        Assert.Contains("ended before the tests finished", result.Tests[0].Message);
    }

    [Fact]
    public async Task Python_runs_in_the_explicit_unsafe_mode_too()
    {
        var runner = new PythonRunner(new UnsafeProcessSandbox());
        var pass = await Run(runner, "def add(a, b):\n    return a + b\n", new TestFile("test_add.py", PythonTests));
        var fail = await Run(runner, "def add(a, b):\n    return 0\n", new TestFile("test_add.py", PythonTests));
        Assert.True(pass.Passed, string.Join("\n", pass.Tests) + pass.Stderr);
        Assert.False(fail.Passed);
    }

    private const string JsTests = """
        test('adds', () => { assert.strictEqual(add(2, 3), 5); });
        test('via require', () => { const { add: plus } = require('./solution'); assert.strictEqual(plus(1, 1), 2); });
        """;

    [Fact]
    public async Task JavaScript_passing_solution_passes()
    {
        var result = await Run(new JavaScriptRunner(_sandbox), "function add(a, b) { return a + b; }\nmodule.exports = { add };", new TestFile("add.test.js", JsTests));
        Assert.True(result.Passed, string.Join("\n", result.Tests) + result.Stderr);
        Assert.Equal(2, result.Tests.Count);
    }

    [Fact]
    public async Task JavaScript_failing_solution_reports_the_assertion()
    {
        var result = await Run(new JavaScriptRunner(_sandbox), "function add(a, b) { return a * b; }", new TestFile("add.test.js", JsTests));
        Assert.False(result.Passed);
        Assert.Contains("6 !== 5", result.Tests.First(t => t.Name == "adds").Message);
    }

    private const string CSharpTests = """
        using System.Diagnostics;
        Debug.Assert(Calc.Add(2, 3) == 5, "Add(2, 3) should be 5");
        Console.WriteLine("ok");
        """;

    [Fact]
    public async Task CSharp_passing_solution_passes_in_a_file_based_program()
    {
        var result = await Run(new CSharpRunner(_sandbox), "public static class Calc { public static int Add(int a, int b) => a + b; }", new TestFile("Tests.cs", CSharpTests));
        Assert.True(result.Passed, string.Join("\n", result.Tests) + result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task CSharp_failing_solution_fails_on_Debug_Assert_and_on_build_errors()
    {
        var wrong = await Run(new CSharpRunner(_sandbox), "public static class Calc { public static int Add(int a, int b) => a - b; }", new TestFile("Tests.cs", CSharpTests));
        Assert.False(wrong.Passed);
        Assert.Contains("Add(2, 3) should be 5", wrong.Tests[0].Message);

        var broken = await Run(new CSharpRunner(_sandbox), "public static class Calc { public static int Add(int a, int b) => a + ; }", new TestFile("Tests.cs", CSharpTests));
        Assert.False(broken.Passed);
        Assert.Contains("error CS", broken.Tests[0].Message);
    }

    private const string HtmlTests = """
        test('clicking the button shows the count', async () => {
          assertEqual(text('#count'), '0');
          await click('#more');
          await click('#more');
          assertEqual(text('#count'), '2', 'count after two clicks');
        });
        """;

    [Fact]
    public async Task Html_passing_page_passes_and_keeps_a_screenshot()
    {
        var result = await Run(new HtmlRunner(_sandbox), """
            <!DOCTYPE html><html><body><button id="more">more</button><span id="count">0</span>
            <script>let n = 0; document.getElementById('more').onclick = () => { document.getElementById('count').textContent = ++n; };</script>
            </body></html>
            """, new TestFile("page.test.js", HtmlTests));
        Assert.True(result.Passed, string.Join("\n", result.Tests) + result.Stderr);
        Assert.True(File.Exists(Assert.Single(result.Artifacts)));
    }

    [Fact]
    public async Task Html_failing_page_fails_and_cannot_reach_the_network()
    {
        var result = await Run(new HtmlRunner(_sandbox), """
            <!DOCTYPE html><html><body><button id="more">more</button><span id="count">0</span>
            <img src="https://example.com/pixel.png">
            <script>fetch('https://example.com/data').then(() => document.title = 'REACHED').catch(() => {});</script>
            </body></html>
            """, new TestFile("page.test.js", HtmlTests));
        Assert.False(result.Passed);
        Assert.Contains("count after two clicks", result.Tests[0].Message);
        Assert.Contains("[blocked network request] https://example.com/", result.Stderr);
    }
}
