using System.Text.Json;
using Mercury.AI.Agents.Worker;
using Mercury.AI.Agents.Workspaces;

namespace Mercury.AI.Agents.Host;

public static partial class Cli
{
    /// <summary>`diff`: the patch, as is when the output is a file or a pipe (so that it applies), with control
    /// characters made visible when it is a terminal.</summary>
    private static async Task<int> DiffAsync(string id, JobService jobs, TextWriter @out, CancellationToken cancellationToken)
    {
        if (await ResultAsync(id, jobs, cancellationToken) is not { } result) return 2;
        bool terminal = ReferenceEquals(@out, Console.Out) && !Console.IsOutputRedirected;
        await @out.WriteAsync(terminal ? T(result.Diff) : result.Diff);
        return 0;
    }

    /// <summary>`apply`: the job's patch applied to <paramref name="folder"/>, all or nothing.</summary>
    private static async Task<int> ApplyAsync(string id, string folder, JobService jobs, TextWriter @out, CancellationToken cancellationToken)
    {
        if (await ResultAsync(id, jobs, cancellationToken) is not { } result) return 2;
        if (!Directory.Exists(folder)) { await Console.Error.WriteLineAsync($"error: the folder '{T(folder)}' does not exist"); return 2; }
        if (result.Diff.Length == 0) { await @out.WriteLineAsync($"job {T(id)} changed no file; nothing to apply"); return 0; }
        if (result.State is "queued" or "running") await Console.Error.WriteLineAsync($"note: job {T(id)} is {result.State}; applying its changes so far");
        try
        {
            var changed = PatchApplier.Apply(result.Diff, folder);
            await @out.WriteLineAsync($"applied job {T(id)} to {T(folder)}: {changed.Count} file(s): {T(string.Join(", ", changed))}");
            return 0;
        }
        catch (PatchException e)
        {
            await Console.Error.WriteLineAsync("error: " + T(e.Message));
            return 2;
        }
    }

    private static async Task<WorkspaceResultView?> ResultAsync(string id, JobService jobs, CancellationToken cancellationToken)
    {
        try
        {
            var result = await jobs.WorkspaceResultAsync(id, cancellationToken);
            if (result is null) await Console.Error.WriteLineAsync($"no job {T(id)}");
            return result;
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync("error: " + T(e.Message));
            return null;
        }
    }

    private static async Task<int> ShowWorkspaceAsync(JobView job, JobService jobs, AgentHostOptions options, bool json, TextWriter @out, CancellationToken cancellationToken)
    {
        var steps = await jobs.StepsAsync(job.Id, cancellationToken);
        var result = (await jobs.WorkspaceResultAsync(job.Id, cancellationToken))!;
        if (json) { await @out.WriteLineAsync(JsonSerializer.Serialize(new { job, result, steps }, LoopbackApi.Json)); return 0; }
        await @out.WriteLineAsync($"job {job.Id} ({T(job.Name ?? "unnamed")}, {job.Language} workspace): {job.State}{(job.Summary is null ? "" : " — " + T(job.Summary))}");
        await @out.WriteLineAsync($"created {job.CreatedAt:u}, claimed {job.Claims} time(s); {result.Turns} turns, {result.ToolCalls} tool calls, {result.OutputTokens} tokens, {result.Seconds:0.0} s");
        foreach (var step in steps) await @out.WriteLineAsync("  " + T(step.OneLine()));
        await PrintCheckAndStatAsync(result, @out);
        return 0;
    }

    private static async Task PrintCheckAndStatAsync(WorkspaceResultView result, TextWriter @out)
    {
        if (result.Check is { } check)
        {
            await @out.WriteLineAsync($"\nfinal check: {(check.Passed ? "PASS" : "FAIL")} — {T(check.Ending)}; {check.Verdict}");
            foreach (var c in check.Visible.Commands) await @out.WriteLineAsync($"  visible $ {T(c.Command)} → {(c.Passed ? "pass" : "FAIL")} ({T(c.Exit)})");
            foreach (var c in check.Hidden?.Commands ?? []) await @out.WriteLineAsync($"  hidden  $ {T(c.Command)} → {(c.Passed ? "pass" : "FAIL")} ({T(c.Exit)})");
        }
        var stat = UnifiedDiff.Stat(result.Diff);
        await @out.WriteLineAsync(stat.Count == 0 ? "\nno file changed" : $"\nchanged files (mercury-agents diff {result.Id}):");
        foreach (var (path, added, removed) in stat) await @out.WriteLineAsync($"  {T(path)}  +{added} -{removed}");
    }

    private static async Task PrintWorkspaceResultAsync(string id, JobService jobs, TextWriter @out)
    {
        if (await jobs.WorkspaceResultAsync(id, CancellationToken.None) is { } result) await PrintCheckAndStatAsync(result, @out);
    }

    private static async Task<int> PrintStepsAsync(JobService jobs, string id, int shown, bool interactive, TextWriter @out)
    {
        var steps = await jobs.StepsAsync(id, CancellationToken.None);
        foreach (var step in steps.Skip(shown))
        {
            if (interactive) await @out.WriteAsync("\r" + new string(' ', 60) + "\r");
            await @out.WriteLineAsync(T(step.OneLine()));
        }
        return steps.Count;
    }

    /// <summary>`logs` of a workspace job: every step in full — the model's text, each call's arguments and result, the check.</summary>
    private static async Task<int> WorkspaceLogsAsync(string id, JobService jobs, TextWriter @out, CancellationToken cancellationToken)
    {
        foreach (var step in await jobs.StepsAsync(id, cancellationToken))
        {
            await @out.WriteLineAsync($"===== {T(step.OneLine())} =====");
            if (step.Kind == "tool") await @out.WriteLineAsync("--- arguments ---\n" + T(step.Input.TrimEnd()));
            else if (step.Input.Length > 0) await @out.WriteLineAsync((step.Kind == "model" ? "--- text ---\n" : "--- commands ---\n") + T(step.Input.TrimEnd()));
            if (step.Output.Length > 0) await @out.WriteLineAsync((step.Kind == "check" ? "--- check ---\n" : "--- result ---\n") + T(step.Output.TrimEnd()) + "\n");
        }
        return 0;
    }
}
