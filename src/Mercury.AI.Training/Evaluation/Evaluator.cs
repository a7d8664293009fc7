using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Chat;
using Mercury.AI.Training.Corpus;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Evaluation;

public sealed record EvalOptions
{
    public required string ModelFolder { get; init; }
    public required string CorpusFolder { get; init; }
    /// <summary>Tasks per kind and split (the first N of each).</summary>
    public int Limit { get; init; } = 60;
    /// <summary>C# tasks per split: each check is a .NET build (seconds to tens of seconds on 2 cores).</summary>
    public int CSharpLimit { get; init; } = 20;
    /// <summary>Pages per split (each opens Chromium).</summary>
    public int PageLimit { get; init; } = 30;
    /// <summary>C# tasks run as agent-host jobs (the "agent" part).</summary>
    public int AgentLimit { get; init; } = 12;
    /// <summary>Skip this many tasks of each kind first: tune on a dev slice, report on the first N.</summary>
    public int Offset { get; init; }
    public IReadOnlyList<string> Samplers { get; init; } = ["default"];
    /// <summary>Which parts: functions, pages, tools, v1 (the v1 unseen-template set), agent (C# jobs in the agent loop), speed.</summary>
    public IReadOnlySet<string> Parts { get; init; } = new HashSet<string> { "functions", "pages", "tools", "v1", "speed" };
    public int Threads { get; init; } = 2;
    public string? ReportPath { get; init; }
}

/// <summary>Applies a sampler setting to every request that does not choose its own knobs (the agent loop's requests).</summary>
internal sealed class SamplerClient(IChatClient inner, SamplerSetting sampler) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = options?.Clone() ?? new ChatOptions();
        if (sampler.Knobs is not null) (options.AdditionalProperties ??= [])[DiffusionChatOptions.AdditionalPropertiesKey] = sampler.Knobs.Clone();
        return base.GetResponseAsync(messages, options, cancellationToken);
    }
}

/// <summary>Pass rates of one group of tasks: the ids that passed, and (the first 20 of) the failures with why.</summary>
public sealed record GroupResult(string Group, int Tasks, int Passed, double PassRate, List<string> PassedIds, List<string> Failures)
{
    public static GroupResult Of(string group, int tasks, IEnumerable<string> passedIds, IEnumerable<string> failures)
    {
        List<string> ids = [.. passedIds.Order(StringComparer.Ordinal)];
        return new(group, tasks, ids.Count, tasks == 0 ? 0 : ids.Count / (double)tasks, ids, [.. failures.Take(20)]);
    }
}

public sealed record SamplerReport(string Sampler, List<GroupResult> Groups, double AnswerTokensPerSecond, double TokensPerStep);

/// <summary>
/// Evaluates a model folder through the paths users take: the <see cref="DiffusionChatClient"/> for code and pages
/// (answers checked by the agent host's sandboxed runners, pages in Chromium), <c>UseFunctionInvocation</c> and
/// Semantic Kernel's auto function calling for tools (the declared functions are really invoked), per sampler setting.
/// </summary>
public sealed class Evaluator(EvalOptions options, TextWriter? log = null)
{
    private readonly TextWriter _log = log ?? Console.Out;

    /// <summary>Answer canvas per kind: room for the longest reference answers of the kind.</summary>
    public static int MaxTokens(string language) => language switch { "html" => 768, "tool" => 96, "csharp" => 256, _ => 192 };

    public async Task<List<SamplerReport>> RunAsync(CancellationToken cancellationToken = default)
    {
        TorchSharp.torch.set_num_threads(options.Threads);
        using var client = DiffusionChatClient.Load(new DiffusionChatClientOptions { ModelPath = options.ModelFolder, Device = "cpu", MaxBatchSize = 8 });
        var corpus = CodingCorpus.Load(options.CorpusFolder);
        var runners = LanguageRunners.CreateDefault(SandboxFactory.Create(new SandboxOptions()));
        var reports = new List<SamplerReport>();
        foreach (var name in options.Samplers)
        {
            var sampler = SamplerSetting.Parse(name);
            var groups = new List<GroupResult>();
            string work = Directory.CreateTempSubdirectory("mercury-eval-").FullName;
            try
            {
                if (options.Parts.Contains("functions"))
                    foreach (var (split, examples) in new[] { ("seen", corpus.HeldOutSeen), ("unseen", corpus.Unseen) })
                        foreach (var language in new[] { "python", "javascript", "csharp" })
                            groups.Add(await CodeAsync($"{language} {split}",
                                Take(examples.Where(e => e.Kind == ExampleKind.Function && e.Language == language), language == "csharp" ? options.CSharpLimit : options.Limit),
                                client, sampler, runners, work, cancellationToken));
                if (options.Parts.Contains("pages"))
                {
                    var demos = corpus.HeldOutSeen.Where(e => e.Kind == ExampleKind.Page && CorpusBuilder.Demos.Any(d => d.Instruction == e.Instruction)).ToList();
                    // Checked as their user would: the prompts name no ids, so neither do the checks.
                    groups.Add(await CodeAsync("pages demos", demos.Select(e => e with { Tests = [DemoPageChecks.ForInstruction(e.Instruction)!], HiddenTests = [] }).ToList(),
                        client, sampler, runners, work, cancellationToken));
                    groups.Add(await CodeAsync("pages seen", Take(corpus.HeldOutSeen.Where(e => e.Kind == ExampleKind.Page).Except(demos), options.PageLimit),
                        client, sampler, runners, work, cancellationToken));
                    groups.Add(await CodeAsync("pages unseen", Take(corpus.Unseen.Where(e => e.Kind == ExampleKind.Page), options.PageLimit), client, sampler, runners, work, cancellationToken));
                }
                if (options.Parts.Contains("v1"))
                    groups.Add(await CodeAsync("v1 unseen templates", Take(V1Set.Load()), client, sampler, runners, work, cancellationToken));
                if (options.Parts.Contains("tools"))
                    foreach (var (split, examples) in new[] { ("seen tools", corpus.HeldOutSeen), ("unseen tools", corpus.Unseen) })
                        foreach (var stack in new[] { "ExtensionsAI", "SemanticKernel" })
                            groups.Add(await ToolEvaluation.RunAsync($"tools {stack} {split}",
                                Take(examples.Where(e => e.Kind == ExampleKind.ToolCall && e.ToolStack == stack)), client, sampler, cancellationToken));
            }
            finally
            {
                Directory.Delete(work, true);
            }
            if (options.Parts.Contains("agent"))
                groups.Add(await AgentEvaluation.RunAsync("csharp jobs in the agent loop (unseen compositions)",
                    Take(corpus.Unseen.Where(e => e.Kind == ExampleKind.Function && e.Language == "csharp"), options.AgentLimit),
                    new SamplerClient(client, sampler), runners, Directory.CreateTempSubdirectory("mercury-eval-agent-").FullName, _log, cancellationToken));
            var (speed, perStep) = options.Parts.Contains("speed") ? Speed(client, sampler, corpus) : (double.NaN, double.NaN);
            var report = new SamplerReport(name, groups, speed, perStep);
            reports.Add(report);
            _log.WriteLine($"[{name}] " + string.Join("; ", groups.Select(g => $"{g.Group} {g.Passed}/{g.Tasks}")) +
                (double.IsNaN(speed) ? "; speed not measured (add speed to --parts)" : $"; {speed:F0} answer tokens/s at batch 1, {perStep:F2} tokens/step"));
        }
        if (options.ReportPath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, JsonSerializer.Serialize(reports, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        }
        return reports;
    }

    private List<CorpusExample> Take(IEnumerable<CorpusExample> examples, int? limit = null) => examples.Skip(options.Offset).Take(limit ?? options.Limit).ToList();

    /// <summary>Each task's instruction as a plain user turn (the model folder's system prompt applies), the answer's
    /// code run against the task's visible and hidden tests.</summary>
    private async Task<GroupResult> CodeAsync(string group, List<CorpusExample> tasks, IChatClient client, SamplerSetting sampler,
        LanguageRunners runners, string work, CancellationToken cancellationToken)
    {
        var answers = await AnswerAllAsync(tasks, client, sampler, cancellationToken);
        var passed = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, tasks.Count, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var task = tasks[i];
            var runner = runners.Get(task.Language);
            string code = ChatFormat.ExtractCode(answers[i]);
            var result = await runner.RunAsync(code, [.. task.Tests, .. task.HiddenTests], Path.Combine(work, Guid.NewGuid().ToString("N")), ct);
            if (result.Passed) passed.Add(task.Id);
            else failures.Add($"{task.Id} {task.Composition}: {result.Tests.FirstOrDefault(t => !t.Passed)?.Message.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim()}");
        });
        var r = GroupResult.Of(group, tasks.Count, passed, failures);
        _log.WriteLine($"  {group}: {r.Passed}/{r.Tasks} ({r.PassRate:P0})");
        return r;
    }

    /// <summary>All answers, eight requests in flight (the client batches them into one decode).</summary>
    private static async Task<string[]> AnswerAllAsync(List<CorpusExample> tasks, IChatClient client, SamplerSetting sampler, CancellationToken cancellationToken)
    {
        var answers = new string[tasks.Count];
        await Parallel.ForAsync(0, tasks.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var response = await client.GetResponseAsync(tasks[i].Instruction, sampler.Options(MaxTokens(tasks[i].Language)), ct);
            answers[i] = response.Text;
        });
        return answers;
    }

    /// <summary>Answer tokens per second and per step, one request at a time, on the first held-out Python tasks.</summary>
    private static (double TokensPerSecond, double TokensPerStep) Speed(DiffusionChatClient client, SamplerSetting sampler, CodingCorpus corpus)
    {
        double seconds = 0, tokens = 0, steps = 0;
        foreach (var task in corpus.HeldOutSeen.Where(e => e.Kind == ExampleKind.Function && e.Language == "python").Take(8))
        {
            var clock = Stopwatch.StartNew();
            var response = client.GetResponseAsync(task.Instruction, sampler.Options(MaxTokens(task.Language))).GetAwaiter().GetResult();
            seconds += clock.Elapsed.TotalSeconds;
            tokens += response.Usage?.OutputTokenCount ?? 0;
            if (response.RawRepresentation is Engine.Decoding.GenerationResult result) steps += result.ForwardCalls;
        }
        return (tokens / seconds, tokens / Math.Max(1, steps));
    }
}
