using System.Diagnostics;
using System.Text.Json;
using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Jobs;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>How the workspace agent talks to the model.</summary>
public sealed class WorkspaceAgentOptions
{
    /// <summary>Output tokens one model turn may use (and the job's token budget has left). A diffusion model decodes a
    /// canvas of this length, so small in-process models want it small.</summary>
    public int MaxTokensPerTurn { get; set; } = 4096;
}

/// <summary>The final check of a workspace job, as its check step stores it.</summary>
/// <param name="Ending">why the agent stopped (finished, a budget, …)</param>
/// <param name="VisibleReused">the last run_tests was on the final files, so its result is the visible verdict</param>
public sealed record CheckResult(string Ending, WorkspaceTestRun Visible, WorkspaceTestRun? Hidden, bool VisibleReused)
{
    public bool Passed => Visible.Passed && (Hidden?.Passed ?? true);

    public string Verdict => $"visible tests {(Visible.Passed ? "pass" : "fail")}" + (Hidden is null ? "" : $", hidden tests {(Hidden.Passed ? "pass" : "fail")}");

    public static CheckResult? Read(StepRecord check) =>
        check.Kind == StepKind.Check ? JsonSerializer.Deserialize<CheckResult>(check.Data, WorkspaceSnapshot.Json) : null;
}

/// <summary>
/// Runs a workspace job: the model drives the workspace tools through the standard tool loop — an Agent Framework
/// <see cref="ChatClientAgent"/> over <see cref="FunctionInvokingChatClient"/> over the host's <see cref="IChatClient"/>,
/// so any provider works — until it calls finish, replies without a tool call, or a budget runs out. Then the final
/// check runs the test commands on the final files and again with the hidden files laid over. Every model turn and
/// tool call is stored as a step before the next begins (<see cref="WorkspaceSession"/>); given the stored steps, the
/// agent continues after the last one (at least once for a step in flight, never twice for a stored one).
/// </summary>
public sealed class WorkspaceAgent(IChatClient chatClient, WorkspaceTestRunner testRunner, WorkspaceAgentOptions? options = null, ILogger? logger = null)
{
    private readonly WorkspaceAgentOptions _options = options ?? new();
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<AgentOutcome> RunAsync(JobSpec spec, IReadOnlyList<StepRecord> previous, Func<StepRecord, CancellationToken, Task> onStep,
        string workDirectory, CancellationToken cancellationToken)
    {
        int runs = 0;
        Task<WorkspaceTestRun> RunTests(string folder, CancellationToken ct) => testRunner.RunAsync(spec.Language, folder,
            spec.Workspace!.TestCommands, spec.Workspace.TestTimeoutSeconds, Path.Combine(workDirectory, "runs", $"{++runs}"), ct);
        var session = new WorkspaceSession(spec, previous, onStep, workDirectory, RunTests);
        if (session.Check is { } stored) return Outcome(stored);
        if (session.Steps.Count > 0) _logger.LogInformation("Resuming after step {Number} (turn {Turn})", session.Steps[^1].Number, session.Steps[^1].Turn);

        var agent = CreateAgent(session);
        var clock = Stopwatch.StartNew();
        var timeLeft = TimeSpan.FromSeconds(spec.Budget.WallClockSeconds) - session.EarlierTime;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeLeft > TimeSpan.Zero ? timeLeft : TimeSpan.Zero);
        string? ending;
        while ((ending = session.StopReason(clock.Elapsed)) is null)
        {
            int before = session.Steps.Count;
            try
            {
                if (session.PendingCalls() is { Count: > 0 } pending) await session.RunPendingAsync(pending, deadline.Token).ConfigureAwait(false);
                else await agent.RunAsync(session.Conversation(), session: null, options: null, deadline.Token).ConfigureAwait(false);
            }
            catch (WorkspaceBudgetException) { } // the next StopReason names the budget
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ending = $"wall-clock budget ({spec.Budget.WallClockSeconds} s) used";
                break;
            }
            if (session.Steps.Count == before && session.StopReason(clock.Elapsed) is null)
                throw new InvalidOperationException("The tool loop returned without a model turn or tool call; the job cannot go on.");
        }
        _logger.LogInformation("Agent stopped: {Ending}; running the final check", ending);
        return Outcome(await FinalCheckAsync(session, ending, workDirectory, RunTests, cancellationToken).ConfigureAwait(false));
    }

    private ChatClientAgent CreateAgent(WorkspaceSession session)
    {
        var pipeline = new ChatClientBuilder(chatClient)
            .UseFunctionInvocation(configure: loop =>
            {
                loop.MaximumIterationsPerRequest = 10_000;   // the session's budgets end the loop
                loop.MaximumConsecutiveErrorsPerRequest = 0; // the tools answer the model's mistakes; an exception is the host's and ends the run
                loop.TerminateOnUnknownCalls = true;         // the session answers unknown tools, so that the answer is stored
                loop.FunctionInvoker = async (context, ct) =>
                {
                    var outcome = await session.InvokeAsync(context.CallContent.CallId, context.Function.Name, context.Arguments, ct).ConfigureAwait(false);
                    _logger.LogInformation("Turn {Turn}: {Tool} → {Result}", session.Turns, context.Function.Name, FirstLine(outcome.Result));
                    if (outcome.Finished) context.Terminate = true;
                    return outcome.Result;
                };
            })
            .Use(inner => new TurnRecordingChatClient(inner, session, _options.MaxTokensPerTurn))
            .Build();
        // Not disposed: that would dispose the host's shared chat client under it.
        return new ChatClientAgent(pipeline, new ChatClientAgentOptions
        {
            Name = "workspace-coder",
            Description = "Changes a repository through file and test tools until its tests pass",
            ChatOptions = new ChatOptions { Instructions = WorkspacePrompts.Instructions, Tools = [.. session.Tools.Functions] },
            UseProvidedChatClientAsIs = true,
        });
    }

    private static async Task<StepRecord> FinalCheckAsync(WorkspaceSession session, string ending, string workDirectory,
        Func<string, CancellationToken, Task<WorkspaceTestRun>> runTests, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var spec = session.Spec;
        // The last run_tests counts when no file changed after it: the same commands on the same files.
        var lastRun = session.Steps.LastOrDefault(s => s.Kind == StepKind.Tool && WorkspaceSnapshot.ReadToolData(s.Data).Tests is not null);
        bool reused = lastRun is not null && !session.Steps.Any(s => s.Number > lastRun.Number && s.Kind == StepKind.Tool
            && WorkspaceSnapshot.ReadToolData(s.Data).Changes is { Count: > 0 });
        var visible = reused ? WorkspaceSnapshot.ReadToolData(lastRun!.Data).Tests! : await runTests(session.Folder, cancellationToken).ConfigureAwait(false);
        WorkspaceTestRun? hidden = null;
        if (spec.Workspace!.HiddenFiles.Count > 0)
        {
            string folder = Path.Combine(workDirectory, "hidden-check");
            Worker.WorkFolders.Delete(folder);
            WorkspaceSnapshot.From(spec, session.Steps).With(spec.Workspace.HiddenFiles).Materialize(folder);
            hidden = await runTests(folder, cancellationToken).ConfigureAwait(false);
        }
        var result = new CheckResult(ending, visible, hidden, reused);
        string output = "visible" + (reused ? " (the last run_tests, on the same files)" : "") + ":\n" + visible.Describe()
            + (hidden is null ? "" : "\n\nhidden (operator only; never shown to the model):\n" + hidden.Describe());
        await session.StoreAsync(new StepRecord
        {
            Number = 0, Turn = session.Turns, Kind = StepKind.Check, Name = "check",
            Input = string.Join("\n", spec.Workspace.TestCommands), Output = output,
            Data = JsonSerializer.Serialize(result, WorkspaceSnapshot.Json), Passed = result.Passed, Duration = clock.Elapsed,
        }, cancellationToken).ConfigureAwait(false);
        return session.Check!;
    }

    private static AgentOutcome Outcome(StepRecord check)
    {
        var result = CheckResult.Read(check)!;
        return new AgentOutcome(result.Passed, $"{result.Ending}; {result.Verdict}", null);
    }

    private static string FirstLine(string text) => text.Split('\n')[0] is var line && line.Length > 120 ? line[..117] + "..." : text.Split('\n')[0];
}
