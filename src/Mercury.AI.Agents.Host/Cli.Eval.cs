using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Mercury.AI.Agents.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Host;

/// <summary>One job of an eval: what it cost and whether it passed.</summary>
public sealed record EvalRow(
    string File, string Id, string Name, string Kind, string State, bool Passed, bool? Visible, bool? Hidden,
    int Turns, int ToolCalls, int OutputTokens, double Seconds, string? Summary);

/// <summary>An eval: its jobs and their totals. <see cref="WallSeconds"/> is the eval's own time (jobs overlap with --concurrency).</summary>
public sealed record EvalReport(
    string Folder, string Chat, int Concurrency, DateTimeOffset StartedAt, IReadOnlyList<EvalRow> Jobs,
    int Passed, double PassRate, int Turns, int ToolCalls, int OutputTokens, double JobSeconds, double WallSeconds);

public static partial class Cli
{
    /// <summary>
    /// `eval`: submits every job of a folder (<c>*.json</c> and <c>*/job.json</c>), runs them in this process
    /// (<c>--concurrency</c> at once; only these jobs are claimed), and prints a table — pass, turns (iterations of a
    /// function job), tool calls, tokens, time — with totals, and writes the same as JSON. Every file is checked before
    /// anything is queued. Exit 0 when every job ran to a final state, whether it passed or not.
    /// </summary>
    private static async Task<int> EvalAsync(string folder, IConfiguration configuration, AgentHostOptions options, IJobStore store, bool json,
        TextWriter @out, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder)) throw new JobSpecException([$"eval: the folder '{folder}' does not exist"]);
        var files = Directory.GetFiles(folder, "*.json").Concat(Directory.GetDirectories(folder).Select(d => Path.Combine(d, "job.json")).Where(File.Exists))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new JobSpecException([$"eval: '{folder}' has no job files (*.json, or */job.json)"]);
        var specs = new List<(string File, JobSpec Spec)>();
        var problems = new List<string>();
        foreach (var file in files)
        {
            try { specs.Add((file, JobSpecParser.Parse(await ReadJobFileAsync(file, cancellationToken), Runners.LanguageRunners.DefaultLanguages, JobFolder(file)))); }
            catch (JobSpecException e) { problems.AddRange(e.Problems.Select(p => $"{Path.GetRelativePath(folder, file)}: {p}")); }
        }
        if (problems.Count > 0) throw new JobSpecException(problems);

        IHost host;
        try { host = BuildHost(configuration, options, store, withApi: false, LogLevel.Warning); }
        catch (Exception e) when (e is (InvalidOperationException and not SandboxUnavailableException) or IOException or InvalidDataException or ArgumentException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 3;
        }
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var ids = new List<string>();
        foreach (var (_, spec) in specs) ids.Add(await store.EnqueueAsync(spec, cancellationToken));
        options.OnlyJobIds = ids; // this process runs the jobs it submitted, never another job of the same store
        if (!json) await Console.Error.WriteLineAsync($"eval: {ids.Count} jobs from {folder}, {options.MaxConcurrentJobs} at a time");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        await host.StartAsync(stop.Token);
        var done = new HashSet<string>();
        try
        {
            while (!stop.IsCancellationRequested && done.Count < ids.Count)
            {
                foreach (var id in ids.Where(i => !done.Contains(i)))
                    if (await store.GetAsync(id, CancellationToken.None) is { } job && job.State.IsFinal())
                    {
                        done.Add(id);
                        if (!json) await Console.Error.WriteLineAsync($"  {id} {T(job.Spec.Name ?? "")}: {job.State.ToWire()} — {T(job.Summary)}");
                    }
                try { await Task.Delay(500, stop.Token); } catch (OperationCanceledException) { }
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        var rows = new List<EvalRow>();
        for (int i = 0; i < ids.Count; i++) rows.Add(await RowAsync(store, Path.GetRelativePath(folder, specs[i].File), ids[i], cancellationToken));
        int passed = rows.Count(r => r.Passed);
        var report = new EvalReport(Path.GetFullPath(folder), configuration["Agents:ChatClient"] ?? configuration["Agents:ModelPath"] ?? "embedded model",
            Math.Max(1, options.MaxConcurrentJobs), started, rows, passed, Math.Round((double)passed / rows.Count, 4), rows.Sum(r => r.Turns),
            rows.Sum(r => r.ToolCalls), rows.Sum(r => r.OutputTokens), Math.Round(rows.Sum(r => r.Seconds), 2), Math.Round(clock.Elapsed.TotalSeconds, 2));
        string reportJson = JsonSerializer.Serialize(report, LoopbackApi.Json);
        string outFile = configuration["Agents:Eval:Out"] ?? Path.Combine(options.DataDirectory, "eval", $"eval-{started:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        await File.WriteAllTextAsync(outFile, reportJson, cancellationToken);
        if (json) await @out.WriteLineAsync(reportJson);
        else
        {
            await @out.WriteAsync(Table(report));
            await @out.WriteLineAsync($"JSON: {outFile}");
        }
        return done.Count == ids.Count ? 0 : 4;
    }

    private static async Task<EvalRow> RowAsync(IJobStore store, string file, string id, CancellationToken cancellationToken)
    {
        var job = (await store.GetAsync(id, cancellationToken))!;
        string name = job.Spec.Name ?? Path.GetFileNameWithoutExtension(file);
        double seconds = job is { StartedAt: { } s, FinishedAt: { } f } ? Math.Round((f - s).TotalSeconds, 2) : 0;
        if (job.Spec.Workspace is null)
        {
            var iterations = await store.GetIterationsAsync(id, cancellationToken);
            var best = iterations.FirstOrDefault(i => i.Number == job.BestIteration);
            return new EvalRow(file, id, name, "function", job.State.ToWire(), job.State == JobState.Succeeded,
                best is null ? null : best.TestsPassed == best.TestsTotal, best is null || job.Spec.HiddenTests.Count == 0 ? null : best.HiddenPassed == best.HiddenTotal && best.HiddenTotal > 0,
                iterations.Count, 0, iterations.Sum(i => i.OutputTokens), seconds, job.Summary);
        }
        var steps = await store.GetStepsAsync(id, cancellationToken);
        var check = steps.LastOrDefault(st => st.Kind == StepKind.Check) is { } c ? CheckResult.Read(c) : null;
        return new EvalRow(file, id, name, "workspace", job.State.ToWire(), job.State == JobState.Succeeded, check?.Visible.Passed, check?.Hidden?.Passed,
            steps.Count(st => st.Kind == StepKind.Model), steps.Count(st => st.Kind == StepKind.Tool), steps.Sum(st => st.OutputTokens), seconds, job.Summary);
    }

    internal static string Table(EvalReport report)
    {
        static string Verdict(bool? v) => v switch { true => "pass", false => "fail", null => "-" };
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        int width = Math.Max(4, report.Jobs.Max(r => r.Name.Length));
        sb.AppendLine(string.Create(c, $"{"job".PadRight(width)}  {"kind",-9} {"state",-9} {"pass",-4} {"visible",-7} {"hidden",-6} {"turns",5} {"tools",5} {"tokens",7} {"seconds",8}"));
        foreach (var r in report.Jobs)
            sb.AppendLine(string.Create(c, $"{T(r.Name).PadRight(width)}  {r.Kind,-9} {r.State,-9} {(r.Passed ? "yes" : "no"),-4} {Verdict(r.Visible),-7} {Verdict(r.Hidden),-6} {r.Turns,5} {r.ToolCalls,5} {r.OutputTokens,7} {r.Seconds,8:0.0}"));
        sb.AppendLine(string.Create(c, $"{"total".PadRight(width)}  {report.Jobs.Count + " jobs",-9} {"",-9} {report.Passed + "/" + report.Jobs.Count,-4} {"",-7} {"",-6} {report.Turns,5} {report.ToolCalls,5} {report.OutputTokens,7} {report.JobSeconds,8:0.0}"));
        sb.AppendLine(string.Create(c, $"pass rate {report.PassRate * 100:0}%; {report.WallSeconds:0.0} s wall clock at concurrency {report.Concurrency}"));
        return sb.ToString();
    }
}
