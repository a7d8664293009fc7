using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Agents.Workspaces;

/// <summary>A tool call as a model step stores it.</summary>
public sealed record StoredCall(string CallId, string Name, Dictionary<string, JsonElement>? Arguments);

/// <summary>
/// One run of a workspace job on a host: its steps so far, its copy of the repository, its tools and budgets. Every
/// model turn and tool call goes through <see cref="StoreAsync"/> before the next begins, and the conversation is
/// always rebuilt from the stored steps, so a job resumed from the store (after a crash, on another host) sees the
/// same conversation and the same files as the run that stored them.
/// </summary>
internal sealed class WorkspaceSession
{
    private readonly Func<StepRecord, CancellationToken, Task> _onStep;
    private readonly List<StepRecord> _steps;

    public WorkspaceSession(JobSpec spec, IReadOnlyList<StepRecord> previous, Func<StepRecord, CancellationToken, Task> onStep,
        string workDirectory, Func<string, CancellationToken, Task<WorkspaceTestRun>> runTests)
    {
        Spec = spec;
        Budget = spec.Budget;
        _onStep = onStep;
        _steps = previous.OrderBy(s => s.Number).ToList();
        EarlierTime = TimeSpan.FromTicks(_steps.Sum(s => s.Duration.Ticks));
        Folder = Path.Combine(workDirectory, "workspace");
        WorkspaceSnapshot.From(spec, _steps).Materialize(Folder);
        long written = _steps.Where(s => s.Kind == StepKind.Tool)
            .Sum(s => WorkspaceSnapshot.ReadToolData(s.Data).Changes?.Sum(c => (long)(c.Content?.Length ?? 0)) ?? 0);
        Tools = new WorkspaceTools(Folder, ct => runTests(Folder, ct), written);
    }

    public JobSpec Spec { get; }

    /// <summary>Arguments as JSON on one line, readable (no \u escapes for quotes or letters).</summary>
    private static readonly JsonSerializerOptions CompactJson = new(AIJsonUtilities.DefaultOptions)
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public JobBudget Budget { get; }

    /// <summary>The job's copy of the repository on this host.</summary>
    public string Folder { get; }

    public WorkspaceTools Tools { get; }

    public IReadOnlyList<StepRecord> Steps => _steps;

    /// <summary>Time the job's earlier runs spent (the wall-clock budget is for all runs together).</summary>
    public TimeSpan EarlierTime { get; }

    public int Turns => _steps.Count(s => s.Kind == StepKind.Model);

    public int ToolCalls => _steps.Count(s => s.Kind == StepKind.Tool);

    public int OutputTokens => _steps.Sum(s => s.OutputTokens);

    public StepRecord? Check => _steps.LastOrDefault(s => s.Kind == StepKind.Check);

    public Task StoreAsync(StepRecord step, CancellationToken cancellationToken) => StoreCoreAsync(step with { Number = _steps.Count + 1 }, cancellationToken);

    private async Task StoreCoreAsync(StepRecord step, CancellationToken cancellationToken)
    {
        await _onStep(step, cancellationToken).ConfigureAwait(false);
        _steps.Add(step);
    }

    /// <summary>Why the job stops now, or null when it goes on.</summary>
    public string? StopReason(TimeSpan elapsed)
    {
        if (_steps.LastOrDefault(s => s.Kind == StepKind.Tool && s.Name == "finish") is { } finish) return $"finished at turn {finish.Turn}";
        var last = LastModelStep;
        if (last is not null && Calls(last).Count == 0) return $"the model replied without a tool call at turn {last.Turn} (taken as done)";
        if (ToolCalls >= Budget.MaxToolCalls) return $"tool-call budget ({Budget.MaxToolCalls}) used";
        if (PendingCalls().Count > 0) return null; // calls the model asked for are made even when the turn or token budget is spent
        if (Turns >= Budget.MaxTurns) return $"turn budget ({Budget.MaxTurns}) used";
        if (OutputTokens >= Budget.MaxOutputTokens) return $"output token budget ({Budget.MaxOutputTokens}) used";
        if (EarlierTime + elapsed >= TimeSpan.FromSeconds(Budget.WallClockSeconds)) return $"wall-clock budget ({Budget.WallClockSeconds} s) used";
        return null;
    }

    private StepRecord? LastModelStep => _steps.LastOrDefault(s => s.Kind == StepKind.Model);

    public static IReadOnlyList<StoredCall> Calls(StepRecord modelStep) =>
        string.IsNullOrEmpty(modelStep.Data) ? [] : JsonSerializer.Deserialize<List<StoredCall>>(modelStep.Data, WorkspaceSnapshot.Json) ?? [];

    /// <summary>Calls of the last model turn that have no stored result yet (the host stopped, or the tool loop left
    /// them to the caller: an unknown tool).</summary>
    public IReadOnlyList<StoredCall> PendingCalls()
    {
        if (LastModelStep is not { } last) return [];
        var answered = _steps.Where(s => s.Kind == StepKind.Tool && s.Turn == last.Turn).Select(s => s.CallId).ToHashSet(StringComparer.Ordinal);
        return Calls(last).Where(c => !answered.Contains(c.CallId)).ToList();
    }

    /// <summary>Refuses a model call once the turn, token or tool-call budget is spent (the tool loop then ends): a
    /// turn whose calls could not be made would only spend tokens.</summary>
    public void EnsureBudgetForModelCall()
    {
        if (Turns >= Budget.MaxTurns || OutputTokens >= Budget.MaxOutputTokens || ToolCalls >= Budget.MaxToolCalls)
            throw new WorkspaceBudgetException();
    }

    /// <summary>Stores a model turn: one assistant message (text and calls), with call ids made unique within the turn.</summary>
    public async Task<ChatResponse> RecordModelTurnAsync(ChatResponse response, TimeSpan duration, CancellationToken cancellationToken)
    {
        int turn = Turns + 1;
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var calls = new List<StoredCall>();
        for (int i = 0; i < contents.Count; i++)
        {
            if (contents[i] is not FunctionCallContent call) continue;
            string id = string.IsNullOrEmpty(call.CallId) || !ids.Add(call.CallId) ? $"call_{turn}_{i}" : call.CallId;
            ids.Add(id);
            var arguments = call.Exception is { } e
                ? new Dictionary<string, object?> { [WorkspaceTools.InvalidArguments] = e.Message }
                : call.Arguments ?? new Dictionary<string, object?>();
            contents[i] = new FunctionCallContent(id, call.Name, arguments);
            calls.Add(new StoredCall(id, call.Name, JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(
                JsonSerializer.Serialize(arguments, CompactJson))));
        }
        string text = string.Concat(contents.OfType<TextContent>().Select(t => t.Text));
        int tokens = (int)(response.Usage?.OutputTokenCount ?? Math.Max(1, (text.Length + calls.Sum(c => c.Name.Length + JsonSerializer.Serialize(c.Arguments).Length)) / 4));
        await StoreAsync(new StepRecord
        {
            Number = 0, Turn = turn, Kind = StepKind.Model, Input = text,
            Data = calls.Count == 0 ? "" : JsonSerializer.Serialize(calls, WorkspaceSnapshot.Json),
            OutputTokens = tokens, Duration = duration,
        }, cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents)) { Usage = response.Usage, ModelId = response.ModelId, FinishReason = response.FinishReason };
    }

    /// <summary>Makes one call of the current turn and stores it with its result and the files it changed.</summary>
    public async Task<ToolOutcome> InvokeAsync(string callId, string name, IDictionary<string, object?>? arguments, CancellationToken cancellationToken)
    {
        if (ToolCalls >= Budget.MaxToolCalls) return new ToolOutcome($"error: the tool-call budget ({Budget.MaxToolCalls}) is used up", [], Finished: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = await Tools.InvokeAsync(name, arguments, cancellationToken).ConfigureAwait(false);
        await StoreAsync(new StepRecord
        {
            Number = 0, Turn = Turns, Kind = StepKind.Tool, Name = name, CallId = callId,
            Input = JsonSerializer.Serialize(arguments ?? new Dictionary<string, object?>(), CompactJson),
            Output = outcome.Result,
            Data = WorkspaceSnapshot.WriteToolData(new ToolStepData(outcome.Changes.Count > 0 ? outcome.Changes : null, outcome.Tests)),
            Passed = outcome.Tests?.Passed, Duration = clock.Elapsed,
        }, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    public async Task RunPendingAsync(IReadOnlyList<StoredCall> pending, CancellationToken cancellationToken)
    {
        foreach (var call in pending)
        {
            var arguments = call.Arguments?.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
            var outcome = await InvokeAsync(call.CallId, call.Name, arguments, cancellationToken).ConfigureAwait(false);
            if (outcome.Finished) return; // like the tool loop: finish ends the turn
        }
    }

    /// <summary>The conversation as the model saw it, rebuilt from the stored steps.</summary>
    public List<ChatMessage> Conversation()
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, WorkspacePrompts.Initial(Spec)) };
        var last = LastModelStep;
        foreach (var model in _steps.Where(s => s.Kind == StepKind.Model))
        {
            var calls = Calls(model);
            var contents = new List<AIContent>();
            if (model.Input.Length > 0) contents.Add(new TextContent(model.Input));
            contents.AddRange(calls.Select(c => new FunctionCallContent(c.CallId, c.Name, c.Arguments?.ToDictionary(kv => kv.Key, kv => (object?)kv.Value))));
            messages.Add(new ChatMessage(ChatRole.Assistant, contents));
            if (calls.Count == 0) continue;
            var results = new List<AIContent>();
            foreach (var call in calls)
            {
                var answer = _steps.FirstOrDefault(s => s.Kind == StepKind.Tool && s.Turn == model.Turn && s.CallId == call.CallId);
                // Every call needs a result for the next request to be well formed; calls left after finish were never made.
                if (answer is not null) results.Add(new FunctionResultContent(call.CallId, answer.Output));
                else if (!ReferenceEquals(model, last)) results.Add(new FunctionResultContent(call.CallId, "not run"));
            }
            if (results.Count > 0) messages.Add(new ChatMessage(ChatRole.Tool, results));
        }
        return messages;
    }
}

/// <summary>A model call refused because the job's turn or token budget is spent.</summary>
internal sealed class WorkspaceBudgetException() : Exception("The workspace job's budget is spent.");
