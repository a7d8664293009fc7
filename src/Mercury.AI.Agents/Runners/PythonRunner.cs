using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>Python 3 (Debian's /usr/bin/python3): tests are top-level asserts, test_* functions or unittest classes.</summary>
public sealed class PythonRunner(ISandbox sandbox) : HarnessRunner(sandbox)
{
    public override string Language => "python";
    public override string SolutionFileName => "solution.py";
    public override IReadOnlyList<string> FenceTags => ["python", "py", "python3"];

    public override string SolutionConventions =>
        "Write a complete Python 3 module (standard library only). The tests import everything it defines, so define " +
        "the functions and classes they call at module level. Do not read input or print unless asked.";

    protected override string HarnessResource => "Harness/python_harness.py";

    protected override IReadOnlyList<string> Command(string harness, string solution, IReadOnlyList<string> tests) =>
        ["/usr/bin/python3", "-I", "-B", harness, solution, .. tests];
}
