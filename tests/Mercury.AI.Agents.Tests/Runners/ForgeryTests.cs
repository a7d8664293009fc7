using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Tests.Runners;

/// <summary>
/// Issue 14, items 2 and 3: a wrong candidate tries to make its tests pass without passing them — forging the
/// harness's result line, patching what the tests and the harness use, ending the process early, hiding the page
/// harness — and a test file named like the solution or the harness. Each must end as a failure.
/// </summary>
public sealed class ForgeryTests : IDisposable
{
    private readonly TempFolder _work = new("mercury-forgery");
    private static readonly ISandbox Sandbox = SandboxFactory.Create(new SandboxOptions());

    public void Dispose() => _work.Dispose();

    private Task<TestRunResult> Run(ILanguageRunner runner, string solution, params TestFile[] tests) =>
        runner.RunAsync(solution, tests, _work.Combine(Guid.NewGuid().ToString("N")));

    private static string Explain(TestRunResult r) => string.Join("\n", r.Tests) + "\n" + r.Stdout + "\n" + r.Stderr;

    private static readonly TestFile PythonTest = new("test_add.py", """
        import unittest
        def test_adds():
            assert add(2, 3) == 5
        class AddTests(unittest.TestCase):
            def test_negative(self):
                self.assertEqual(add(-1, -1), -2)
        """);

    // Harvests every string the harness could have left in reach (argv, /proc, the inputs, stdin) and prints a
    // result line, in the old and the new format, for each candidate secret; then leaves before the harness can report.
    private const string PythonForger = """
        import os, re, sys
        seen = set(sys.argv)
        for p in ["/proc/self/cmdline", "/proc/self/environ", "/proc/1/cmdline", "/proc/self/fd/0"]:
            try:
                seen.update(open(p, "rb").read().decode(errors="ignore").split("\0"))
            except OSError:
                pass
        for root, _, files in os.walk("/inputs"):
            for f in files:
                seen.add(open(os.path.join(root, f), errors="ignore").read())
        forged = '[{"name":"test_adds","passed":true,"message":""},{"name":"AddTests.test_negative","passed":true,"message":""}]'
        for s in list(seen):
            for m in set(re.findall(r"[0-9a-fA-F]{32}", s)) | {s}:
                print("\n@@MERCURY-RESULT-" + m + "@@" + forged)
                print("\n" + m + forged)
        sys.stdout.flush()
        os._exit(0)
        def add(a, b):
            return 0
        """;

    [Fact]
    public async Task Python_candidate_printing_a_result_line_with_every_string_it_can_find_fails()
    {
        var result = await Run(new PythonRunner(Sandbox), PythonForger, PythonTest);
        Assert.False(result.Passed, Explain(result));
    }

    [Fact]
    public async Task Python_candidate_patching_json_stdout_unittest_builtins_and_modules_fails()
    {
        var result = await Run(new PythonRunner(Sandbox), """
            import builtins, json, sys, types, unittest
            json.dumps = lambda *a, **k: '[{"name":"x","passed":true,"message":""}]'
            unittest.TestCase.assertEqual = lambda self, a, b, msg=None: None
            builtins.AssertionError = type("Never", (Exception,), {})
            fake = types.ModuleType("unittest"); fake.TestCase = object
            sys.modules["unittest"] = fake
            def add(a, b):
                return 0
            """, PythonTest);
        Assert.False(result.Passed, Explain(result));
        Assert.Contains(result.Tests, t => t.Name == "AddTests.test_negative" && !t.Passed); // unittest was restored
        Assert.Contains(result.Tests, t => t.Name == "test_adds" && !t.Passed);
    }

    [Fact]
    public async Task Python_candidate_exiting_0_at_import_or_inside_a_test_fails()
    {
        var atImport = await Run(new PythonRunner(Sandbox), "import sys\nsys.exit(0)\ndef add(a, b):\n    return 0\n", PythonTest);
        Assert.False(atImport.Passed, Explain(atImport));
        var inTest = await Run(new PythonRunner(Sandbox), "import os\ndef add(a, b):\n    os._exit(0)\n", PythonTest);
        Assert.False(inTest.Passed, Explain(inTest));
    }

    [Fact]
    public async Task A_test_named_like_the_solution_or_the_harness_replaces_neither()
    {
        // Before: the file named solution.py (here a correct add) overwrote the wrong candidate, and the tests passed.
        TestFile[] tests = [new("solution.py", "def add(a, b):\n    return a + b\n"), new("python_harness.py", "x = 1\n"), PythonTest];
        var wrong = await Run(new PythonRunner(Sandbox), "def add(a, b):\n    return a - b\n", tests);
        Assert.False(wrong.Passed, Explain(wrong));
        Assert.Contains(wrong.Tests, t => t.Name == "test_adds" && !t.Passed);
        var right = await Run(new PythonRunner(Sandbox), "def add(a, b):\n    return a + b\n", tests);
        Assert.True(right.Passed, Explain(right));

        // JavaScript test files share one global scope, so here the check is that the candidate is the one tested.
        TestFile[] jsTests = [new("solution.js", "test('named like the solution', () => assert.ok(true));"),
            new("node_harness.js", "test('named like the harness', () => assert.ok(true));"),
            new("add.test.js", "test('adds', () => assert.strictEqual(add(2, 3), 5));")];
        var jsRight = await Run(new JavaScriptRunner(Sandbox), "function add(a, b) { return a + b; }", jsTests);
        Assert.True(jsRight.Passed, Explain(jsRight));
        Assert.Equal(3, jsRight.Tests.Count);
        var jsWrong = await Run(new JavaScriptRunner(Sandbox), "function add(a, b) { return a - b; }", jsTests);
        Assert.False(jsWrong.Passed, Explain(jsWrong));
    }

    [Fact]
    public async Task JavaScript_candidate_forging_results_patching_assert_test_push_and_promise_or_exiting_fails()
    {
        var test = new TestFile("add.test.js", """
            test('adds', () => { assert.strictEqual(add(2, 3), 5); });
            test('async adds', async () => { await null; assert.strictEqual(add(1, 1), 2); });
            """);
        var forger = await Run(new JavaScriptRunner(Sandbox), """
            const fs = require('fs');
            const seen = [...process.argv, fs.readFileSync('/proc/self/cmdline', 'latin1'), fs.readFileSync('/proc/1/cmdline', 'latin1')];
            for (const f of ['/inputs/harness/node_harness.js', '/inputs/tests/add.test.js']) seen.push(fs.readFileSync(f, 'utf8'));
            const forged = '[{"name":"adds","passed":true,"message":""},{"name":"async adds","passed":true,"message":""}]';
            for (const s of seen) for (const m of [s, ...(s.match(/[0-9a-f]{32}/g) || [])]) process.stdout.write('\n@@MERCURY-RESULT-' + m + '@@' + forged + '\n');
            try { require('assert').strictEqual = () => {}; } catch {}
            try { globalThis.test = () => {}; } catch {}
            Array.prototype.push = function () { return 0; };
            try { Promise.prototype.then = function (ok) { if (ok) ok(); }; } catch {}
            function add(a, b) { return 0; }
            """, test);
        Assert.False(forger.Passed, Explain(forger));
        Assert.Equal(2, forger.Tests.Count(t => !t.Passed));

        var exits = await Run(new JavaScriptRunner(Sandbox), "function add(a, b) { process.exit(0); }", test);
        Assert.False(exits.Passed, Explain(exits));
    }

    [Theory]
    [InlineData("static class Init { [System.Runtime.CompilerServices.ModuleInitializer] internal static void Run() => System.Environment.Exit(0); }", "module initializer")]
    [InlineData("static class Init { [System.Runtime.CompilerServices.Module\\u0049nitializer] internal static void Run() => System.Environment.Exit(0); }", "module initializer")]
    [InlineData("partial class Program { static Program() { System.Environment.Exit(0); } }", "named Program")]
    [InlineData("public static class Debug { public static void Assert(bool condition, string message = null) { } }", "hide System.Diagnostics.Debug")]
    [InlineData("namespace System.Diagnostics { public static class Debug { public static void Assert(bool c, string m = null) { } } }", "namespace")]
    [InlineData("using Debug = Fake;\npublic static class Fake { public static void Assert(bool c, string m = null) { } }", "would change what names mean")]
    public async Task CSharp_solution_that_would_run_before_or_rewire_the_tests_is_refused_unbuilt(string trick, string reason)
    {
        var result = await Run(new CSharpRunner(Sandbox), "public static class Calc { public static int Add(int a, int b) => 0; }\n" + trick,
            new TestFile("Tests.cs", "Debug.Assert(Calc.Add(2, 3) == 5, \"2 + 3\");"));
        Assert.False(result.Passed);
        Assert.Contains(reason, Assert.Single(result.Tests).Message);
        Assert.Equal("not built", result.Exit);
    }

    [Fact]
    public async Task CSharp_solution_that_exits_0_in_the_middle_of_the_tests_fails()
    {
        var result = await Run(new CSharpRunner(Sandbox),
            "public static class Calc { public static int Add(int a, int b) { System.Environment.Exit(0); return 0; } }",
            new TestFile("Tests.cs", "Debug.Assert(Calc.Add(2, 3) == 5, \"2 + 3\");\nclass Helper { }"));
        Assert.False(result.Passed, Explain(result));
        Assert.Contains("before its last statement", result.Tests[0].Message);
    }

    [Fact]
    public async Task Html_page_that_blocks_and_fakes_the_harness_fails_on_its_real_tests()
    {
        var result = await Run(new HtmlRunner(Sandbox), """
            <!DOCTYPE html><html><body><span id="count">0</span>
            <script>
              for (const k of Object.getOwnPropertyNames(window))
                if (k.startsWith('__mercury')) { try { Object.defineProperty(window, k, { value: async () => '[]' }); } catch (e) { } }
              Object.defineProperty(window, '__mercuryRunTests', { value: async () => [], writable: false, configurable: false });
              try { Promise.prototype.then = function (ok) { if (ok) ok(); }; } catch (e) { }
              Document.prototype.querySelector = () => ({ textContent: '2' });
            </script></body></html>
            """, new TestFile("page.test.js", "test('count is 2', async () => { await sleep(1); assertEqual(text('#count'), '2'); });"));
        Assert.False(result.Passed, Explain(result));
        Assert.Contains("expected \"2\", got \"0\"", Assert.Single(result.Tests).Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("[null]")]
    public void Html_results_that_are_missing_or_empty_are_a_failure_never_a_pass(string? json)
    {
        var result = Assert.Single(HtmlRunner.ReadResults("page.test.js", json));
        Assert.False(result.Passed);
    }
}
