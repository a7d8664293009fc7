using Mercury.AI.Agents.Sandbox;

namespace Mercury.AI.Agents.Runners;

/// <summary>JavaScript on node: the solution is a script whose declarations the tests see; tests use test()/assert.</summary>
public sealed class JavaScriptRunner(ISandbox sandbox) : HarnessRunner(sandbox)
{
    public override string Language => "javascript";
    public override string SolutionFileName => "solution.js";
    public override IReadOnlyList<string> FenceTags => ["javascript", "js", "node"];

    public override string SolutionConventions =>
        "Write plain JavaScript for node (CommonJS, no import/export statements, no npm packages). Declare the " +
        "functions the tests call at top level; they are visible to the tests.";

    protected override string HarnessResource => "Harness/node_harness.js";

    // V8 reserves a large virtual range up front; the heap itself is capped with --max-old-space-size.
    protected override SandboxLimits Limits => new()
    {
        WallClock = TimeSpan.FromSeconds(20), CpuSeconds = 15, AddressSpaceBytes = 4L << 30, MaxProcesses = 64,
        MemoryBytes = 768L << 20, // the 512 MiB heap plus V8's code space and node's own
    };

    protected override IReadOnlyList<string> Command(string harness, string solution, IReadOnlyList<string> tests) =>
        ["/usr/bin/node", "--max-old-space-size=512", harness, solution, .. tests];
}
