using System.Text.Json;
using Mercury.AI.Agents.Jobs;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Host;

/// <summary>The mercury-agents command line. Exit codes: 0 ok/succeeded, 1 job failed, 2 bad input, 3 host cannot run code,
/// 4 job cancelled or errored, 5 the job store cannot be used (damaged database, full disk, unreachable server) or its queue is full.</summary>
public static partial class Cli
{
    public const string Usage = """
        mercury-agents — durable generate→test→refine coding agents in a sandbox

        usage: mercury-agents <command> [arguments] [options]

          serve                 run the job host: workers and the HTTP API on 127.0.0.1 (Ctrl+C stops gracefully)
          run <job.json>        submit a job and run it here, printing its iterations (or steps) live; exit 0 when it passes
          submit <job.json>     check and queue a job for a running host; prints the job id
          list                  the latest jobs
          show <id>             a job, its iterations and its best code (a workspace job: its steps, check and changed files)
          logs <id>             every iteration: prompt, reply, test output, feedback (a workspace job: its transcript)
          diff <id>             a workspace job's patch (unified diff against its original files)
          apply <id> <folder>   apply a workspace job's patch to a copy of its repository (all or nothing)
          eval <folder>         run every job in <folder> (*.json, */job.json) and print a table and JSON of the results
          cancel <id>           cancel a queued job, or stop a running one (its sandbox is killed)
          status                the hosts sharing the store (last heartbeat, jobs held) and the jobs by state
          bench-store           the store's capacity in a scratch schema/file: --jobs N empty jobs, --claimers K
          token                 print the HTTP API's bearer token (<data>/api-token, made at first use, owner-only)

        options:
          --data <dir>              data folder (jobs.db, artifacts/); default $MERCURY_AGENTS_DATA or ~/.local/share/mercury-agents
          --store <store>           the job store: sqlite (default: <data>/jobs.db), sqlite:<file>, or PostgreSQL as a
                                    postgres://user@host:5432/db URI or Npgsql connection string (also Agents__Store)
          --concurrency <n>         jobs at once (serve, run); default 2
          --port <n>                HTTP API port (serve); default 5117
          --model <dir>             a LLaDA/Dream checkpoint folder (default: the embedded models/mercury-coder-tiny)
          --device <cpu|cuda|auto>  where the model runs; default auto
          --chat replay:<file>      use scripted replies instead of the model
          --chat openai:<url>[,<url>...]  an OpenAI-compatible endpoint (base URL ending in /v1; several = round robin
                                    with failover); key from OPENAI_API_KEY; --chat-model <id> (default: the first
                                    model the endpoint lists)
          --json                    machine-readable output (list, show, submit, eval)
          --tokens-per-turn <n>     output tokens of one model turn of a workspace job (default 4096; 512 for the embedded model)
          --out <file>              where eval writes its JSON (default <data>/eval/eval-<time>.json)
          --unsafe-no-sandbox       run generated code WITHOUT isolation if bubblewrap is missing (never on a machine you care about)
          --bwrap <path>            bubblewrap binary (default: bwrap on PATH)
          --lease-seconds <n>, --heartbeat-seconds <n>   lease tuning
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        var @out = output ?? Console.Out;
        List<string> positional;
        Dictionary<string, string?> flags;
        HashSet<string> switches;
        try { (positional, flags, switches) = HostSettings.Parse(args); }
        catch (ArgumentException e) { await Console.Error.WriteLineAsync(e.Message); return 2; }
        if (positional.Count == 0 || switches.Contains("--help") || positional[0] is "help")
        {
            await @out.WriteLineAsync(Usage);
            return positional.Count == 0 && !switches.Contains("--help") ? 2 : 0;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(flags).Build();
        AgentHostOptions options;
        try
        {
            if (positional[0] is "serve" or "run" or "eval" && await Remote.RemoteModel.ResolveAsync(configuration, cancellationToken) is { } problem)
            {
                await Console.Error.WriteLineAsync("error: " + problem);
                return 3;
            }
            options = HostSettings.AgentOptions(configuration);
        }
        catch (Exception e) when (e is FormatException or ArgumentException) { await Console.Error.WriteLineAsync("error: " + e.Message); return 2; }
        bool json = switches.Contains("--json");
        string command = positional[0];
        string? argument = positional.Count > 1 ? positional[1] : null;
        if (command is "run" or "submit" or "show" or "logs" or "cancel" or "diff" or "apply" or "eval" && argument is null
            || command == "apply" && positional.Count < 3)
        {
            await Console.Error.WriteLineAsync($"{command} needs {(command == "apply" ? "a job id and a folder" : "an argument")}. See mercury-agents --help.");
            return 2;
        }

        if (!Commands.Contains(command)) return await UnknownAsync(command);
        if (command == "token") return await PrintTokenAsync(configuration, options, @out); // needs no store

        IJobStore store;
        try { store = await JobStores.OpenAsync(configuration, options, cancellationToken); }
        catch (ArgumentException e) { await Console.Error.WriteLineAsync("error: " + e.Message); return 2; }
        catch (JobStoreUnavailableException e) { await Console.Error.WriteLineAsync("error: " + e.Message); return 5; }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"error: cannot open the job store {JobStores.Describe(configuration, options)}: {e.Message}");
            return 3;
        }
        var jobs = new JobService(store);
        try
        {
            return command switch
            {
                "serve" => await ServeAsync(configuration, options, store, cancellationToken),
                "run" => await RunJobAsync(argument!, configuration, options, store, @out, cancellationToken),
                "submit" => await SubmitAsync(argument!, jobs, json, @out, cancellationToken),
                "list" => await ListAsync(jobs, json, @out, cancellationToken),
                "show" => await ShowAsync(argument!, jobs, options, json, @out, cancellationToken),
                "logs" => await LogsAsync(argument!, jobs, @out, cancellationToken),
                "cancel" => await CancelAsync(argument!, jobs, @out, cancellationToken),
                "bench-store" => await BenchStoreAsync(configuration, options, @out, cancellationToken),
                "diff" => await DiffAsync(argument!, jobs, @out, cancellationToken),
                "apply" => await ApplyAsync(argument!, positional[2], jobs, @out, cancellationToken),
                "eval" => await EvalAsync(argument!, configuration, options, store, json, @out, cancellationToken),
                _ => await StatusAsync(store, options, json, @out, cancellationToken),
            };
        }
        catch (JobSpecException e)
        {
            await Console.Error.WriteLineAsync(T(e.Message));
            return 2;
        }
        catch (Exception e) when (e is SandboxUnavailableException || e.InnerException is SandboxUnavailableException)
        {
            await Console.Error.WriteLineAsync("error: " + (e as SandboxUnavailableException ?? e.InnerException)!.Message);
            return 3;
        }
        catch (Exception e) when (e is JobStoreUnavailableException or JobQueueFullException || e.InnerException is JobStoreUnavailableException)
        {
            await Console.Error.WriteLineAsync("error: " + (e is JobQueueFullException or JobStoreUnavailableException ? e : e.InnerException!).Message);
            return 5;
        }
        finally
        {
            if (store is IAsyncDisposable disposable) await disposable.DisposeAsync();
        }
    }

    private static readonly HashSet<string> Commands = ["serve", "run", "submit", "list", "show", "logs", "cancel", "status", "bench-store", "token", "diff", "apply", "eval"];

    private static async Task<int> UnknownAsync(string command)
    {
        await Console.Error.WriteLineAsync($"unknown command '{T(command)}'. See mercury-agents --help.");
        return 2;
    }

    private static async Task<int> PrintTokenAsync(IConfiguration configuration, AgentHostOptions options, TextWriter @out)
    {
        string token;
        try { token = HostSettings.ApiOptions(configuration, options.DataDirectory).Token; }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 3;
        }
        await @out.WriteLineAsync(token);
        return 0;
    }

    /// <summary>The host: workers (and, for serve, the HTTP API) over one store.</summary>
    internal static IHost BuildHost(IConfiguration configuration, AgentHostOptions options, IJobStore store, bool withApi, LogLevel minimumLevel)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = false, Args = [] });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(store);
        builder.Services.AddTelemetryExport();
        builder.Services.AddDefaultChatClient(builder.Configuration);
        builder.Services.AddAgentWorkers(options, HostSettings.SandboxOptions(configuration), HostSettings.HtmlOptions(configuration));
        builder.Services.AddSingleton<JobService>();
        if (withApi)
        {
            var api = HostSettings.ApiOptions(configuration, options.DataDirectory);
            builder.Services.AddHostedService(sp => new LoopbackApi(sp.GetRequiredService<JobService>(), api,
                sp.GetRequiredService<AgentHostHealth>(), sp.GetRequiredService<ILogger<LoopbackApi>>()));
        }
        var host = builder.Build();

        // Refuse early, and say why, when code cannot be isolated or there is no model.
        var sandbox = host.Services.GetRequiredService<ISandbox>();
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mercury.AI.Agents.Host");
        if (sandbox.IsIsolated) log.LogInformation("Sandbox: {Description}", sandbox.Description);
        else log.LogWarning("Sandbox: {Description}", sandbox.Description);
        _ = host.Services.GetRequiredService<IChatClient>();
        return host;
    }

    private static async Task<int> ServeAsync(IConfiguration configuration, AgentHostOptions options, IJobStore store, CancellationToken cancellationToken)
    {
        IHost host;
        try { host = BuildHost(configuration, options, store, withApi: true, LogLevel.Information); }
        catch (Exception e) when (e is (InvalidOperationException and not SandboxUnavailableException) or IOException or InvalidDataException or ArgumentException) { await Console.Error.WriteLineAsync("error: " + e.Message); return 3; }
        try { await host.RunAsync(cancellationToken); }
        catch (IOException e) // Kestrel: the port is taken
        {
            await Console.Error.WriteLineAsync($"error: the HTTP API cannot listen on 127.0.0.1:{HostSettings.Port(configuration)} ({e.Message}); choose another with --port.");
            return 3;
        }
        return 0;
    }

    private static async Task<int> SubmitAsync(string path, JobService jobs, bool json, TextWriter @out, CancellationToken cancellationToken)
    {
        string id = await jobs.SubmitJsonAsync(await ReadJobFileAsync(path, cancellationToken), JobFolder(path), cancellationToken);
        await @out.WriteLineAsync(json ? JsonSerializer.Serialize(new { id }, LoopbackApi.Json) : id);
        return 0;
    }

    internal static async Task<string> ReadJobFileAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new JobSpecException([$"job file '{path}' does not exist"]);
        if (info.Length > JobSpecParser.MaxWorkspaceJobBytes) throw new JobSpecException([$"job file '{path}' is {info.Length / 1024} KiB; the limit is {JobSpecParser.MaxWorkspaceJobBytes / 1024} KiB"]);
        return await File.ReadAllTextAsync(path, cancellationToken);
    }

    /// <summary>Where a workspace job file's <c>path</c> and <c>hiddenPath</c> are relative to.</summary>
    internal static string JobFolder(string jobFile) => Path.GetDirectoryName(Path.GetFullPath(jobFile))!;

    private static async Task<int> ListAsync(JobService service, bool json, TextWriter @out, CancellationToken cancellationToken)
    {
        var jobs = await service.ListAsync(cancellationToken);
        if (json) { await @out.WriteLineAsync(JsonSerializer.Serialize(jobs, LoopbackApi.Json)); return 0; }
        await @out.WriteLineAsync($"{"id",-20} {"state",-10} {"language",-10} {"created (UTC)",-19}  name / summary");
        foreach (var j in jobs)
            await @out.WriteLineAsync($"{j.Id,-20} {j.State,-10} {j.Language,-10} {j.CreatedAt:yyyy-MM-dd HH:mm:ss}  {T(j.Name)}{(j.Summary is null ? "" : " — " + T(j.Summary))}");
        return 0;
    }

    private static async Task<int> ShowAsync(string id, JobService jobs, AgentHostOptions options, bool json, TextWriter @out, CancellationToken cancellationToken)
    {
        var job = await jobs.GetAsync(id, cancellationToken);
        if (job is null) { await Console.Error.WriteLineAsync($"no job {T(id)}"); return 2; }
        if (job.Kind == "workspace") return await ShowWorkspaceAsync(job, jobs, options, json, @out, cancellationToken);
        var iterations = await jobs.IterationsAsync(id, cancellationToken);
        if (json) { await @out.WriteLineAsync(JsonSerializer.Serialize(new { job, iterations }, LoopbackApi.Json)); return 0; }
        await @out.WriteLineAsync($"job {job.Id} ({T(job.Name ?? "unnamed")}, {job.Language}): {job.State}{(job.Summary is null ? "" : " — " + T(job.Summary))}");
        await @out.WriteLineAsync($"created {job.CreatedAt:u}, claimed {job.Claims} time(s), artifacts in {options.ArtifactsDirectory(job.Id)}");
        foreach (var it in iterations) await @out.WriteLineAsync("  " + it.OneLine());
        var best = iterations.FirstOrDefault(i => i.Number == job.BestIteration) ?? iterations.OrderByDescending(i => i.Passed).ThenByDescending(i => i.TestsPassed + i.HiddenPassed).FirstOrDefault();
        if (best is not null) await @out.WriteLineAsync($"\nbest candidate (iteration {best.Number}):\n{T(best.Code)}");
        return 0;
    }

    private static async Task<int> LogsAsync(string id, JobService jobs, TextWriter @out, CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is not { } job) { await Console.Error.WriteLineAsync($"no job {T(id)}"); return 2; }
        if (job.Kind == "workspace") return await WorkspaceLogsAsync(id, jobs, @out, cancellationToken);
        foreach (var it in await jobs.Store.GetIterationsAsync(id, cancellationToken))
        {
            await @out.WriteLineAsync($"===== {IterationView.From(it).OneLine()} =====");
            await @out.WriteLineAsync("--- prompt ---\n" + T(it.Prompt.TrimEnd()));
            await @out.WriteLineAsync("--- reply ---\n" + T(it.Reply.TrimEnd()));
            await @out.WriteLineAsync("--- test output ---\n" + T(it.TestOutput.TrimEnd()));
            await @out.WriteLineAsync("--- feedback ---\n" + T(it.Feedback.TrimEnd()) + "\n");
        }
        return 0;
    }

    private static async Task<int> CancelAsync(string id, JobService jobs, TextWriter @out, CancellationToken cancellationToken)
    {
        var result = await jobs.Store.CancelAsync(id, cancellationToken);
        await @out.WriteLineAsync(result switch
        {
            CancelResult.Cancelled => $"{T(id)}: cancelled (it had not started)",
            CancelResult.CancelRequested => $"{T(id)}: cancel requested; the host stops it within a heartbeat",
            CancelResult.AlreadyFinished => $"{T(id)}: already finished",
            _ => $"no job {T(id)}",
        });
        return result == CancelResult.NotFound ? 2 : 0;
    }

    /// <summary>submit + a host in this process until the job ends, printing iterations as they are stored.</summary>
    private static async Task<int> RunJobAsync(string path, IConfiguration configuration, AgentHostOptions options, IJobStore store, TextWriter @out, CancellationToken cancellationToken)
    {
        string jobJson = await ReadJobFileAsync(path, cancellationToken);
        var spec = JobSpecParser.Parse(jobJson, Runners.LanguageRunners.DefaultLanguages, JobFolder(path)); // check (and pack) before building anything
        IHost host;
        try { host = BuildHost(configuration, options, store, withApi: false, LogLevel.Warning); }
        catch (Exception e) when (e is (InvalidOperationException and not SandboxUnavailableException) or IOException or InvalidDataException or ArgumentException) { await Console.Error.WriteLineAsync("error: " + e.Message); return 3; }

        var jobs = host.Services.GetRequiredService<JobService>();
        string id = await jobs.Store.EnqueueAsync(spec, cancellationToken);
        options.OnlyJobId = id; // this process runs the job it submitted, never another job queued in the same store
        await @out.WriteLineAsync(spec.Workspace is null
            ? $"job {id}: {T(spec.Name ?? "unnamed")} ({spec.Language}), budget {spec.Budget.MaxIterations} iterations / {spec.Budget.MaxRestarts} restarts / {spec.Budget.MaxOutputTokens} tokens / {spec.Budget.WallClockSeconds} s"
            : $"job {id}: {T(spec.Name ?? "unnamed")} ({spec.Language} workspace, {spec.Workspace.Files.Count} files), budget {spec.Budget.MaxTurns} turns / {spec.Budget.MaxToolCalls} tool calls / {spec.Budget.MaxOutputTokens} tokens / {spec.Budget.WallClockSeconds} s");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        await host.StartAsync(stop.Token);
        var started = DateTime.UtcNow;
        int shown = 0;
        bool interactive = !Console.IsOutputRedirected && ReferenceEquals(@out, Console.Out);
        JobView? view = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                shown = spec.Workspace is null ? await PrintIterationsAsync(jobs, id, shown, interactive, @out) : await PrintStepsAsync(jobs, id, shown, interactive, @out);
                view = await jobs.GetAsync(id, CancellationToken.None);
                if (view is not null && JobStateExtensions.ParseWire(view.State).IsFinal()) break;
                if (interactive) await @out.WriteAsync($"\r  … {(spec.Workspace is null ? "iteration" : "step")} {shown + 1} running ({(DateTime.UtcNow - started).TotalSeconds:0} s)");
                try { await Task.Delay(500, stop.Token); } catch (OperationCanceledException) { }
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }
        if (interactive) await @out.WriteAsync("\r" + new string(' ', 60) + "\r");
        view = await jobs.GetAsync(id, CancellationToken.None);
        await @out.WriteLineAsync($"job {id}: {view?.State} — {T(view?.Summary)}");
        if (spec.Workspace is null) await @out.WriteLineAsync($"artifacts: {options.ArtifactsDirectory(id)}");
        if (spec.Workspace is not null && view is not null) await PrintWorkspaceResultAsync(id, jobs, @out);
        if (view?.BestIteration is { } bestNumber)
        {
            var best = (await jobs.IterationsAsync(id, CancellationToken.None)).First(i => i.Number == bestNumber);
            await @out.WriteLineAsync($"\nbest candidate (iteration {bestNumber}):\n{T(best.Code)}");
        }
        return view?.State switch { "succeeded" => 0, "failed" => 1, "queued" => 4, _ => 4 };
    }

    private static async Task<int> PrintIterationsAsync(JobService jobs, string id, int shown, bool interactive, TextWriter @out)
    {
        var iterations = await jobs.IterationsAsync(id, CancellationToken.None);
        foreach (var it in iterations.Skip(shown))
        {
            if (interactive) await @out.WriteAsync("\r" + new string(' ', 60) + "\r");
            await @out.WriteLineAsync(it.OneLine());
            if (!it.Passed) await @out.WriteLineAsync("    " + T(Gist(it.Feedback)).Replace("\n", "\n    "));
        }
        return iterations.Count;
    }

    /// <summary>Untrusted text (model output, test output, names) made safe to print to a terminal.</summary>
    private static string T(string? text) => TerminalText.Sanitize(text);

    /// <summary>The lines of a feedback that say what failed: the count, the failing tests and their assertions.</summary>
    internal static string Gist(string feedback)
    {
        var lines = feedback.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Trim().Length > 0).ToList();
        var gist = lines.Where((l, i) =>
            l.StartsWith("Your ", StringComparison.Ordinal) || l.StartsWith("FAILED:", StringComparison.Ordinal)
            || l.StartsWith("Build failed", StringComparison.Ordinal) || l.Contains("error CS", StringComparison.Ordinal)
            || (i > 0 && lines[i - 1].StartsWith("FAILED:", StringComparison.Ordinal) && !l.StartsWith("Traceback", StringComparison.Ordinal))
            || l.Contains("Error:", StringComparison.Ordinal) || l.Contains("Assertion", StringComparison.Ordinal))
            .Take(6).Select(l => l.Length > 160 ? l[..157] + "..." : l).ToList();
        return string.Join('\n', gist.Count > 0 ? gist : lines.Take(3));
    }
}
