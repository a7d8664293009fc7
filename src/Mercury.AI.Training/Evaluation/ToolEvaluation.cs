using System.Collections.Concurrent;
using System.Text.Json;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Corpus.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionInvocationContext = Microsoft.SemanticKernel.FunctionInvocationContext;

namespace Mercury.AI.Training.Evaluation;

/// <summary>
/// Tool tasks through the stacks apps use: the declared catalog functions wrapped so each invocation is recorded,
/// M.E.AI's <c>UseFunctionInvocation</c> or a Semantic Kernel kernel with <c>FunctionChoiceBehavior.Auto()</c> over
/// the model. A task passes when the expected function was invoked with the expected arguments and the final answer
/// reports its result.
/// </summary>
public static class ToolEvaluation
{
    /// <summary>A task needs two model calls: the call, then the answer with its result.</summary>
    public const int MaxModelCalls = 4;

    public static async Task<GroupResult> RunAsync(string group, List<CorpusExample> tasks, IChatClient anyModel, SamplerSetting sampler, CancellationToken cancellationToken)
    {
        var passed = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, tasks.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var task = tasks[i];
            var calls = new ConcurrentQueue<Invocation>();
            var model = new CallBudget(anyModel, MaxModelCalls); // not disposed: that would dispose the shared model
            var declared = task.DeclaredTools!.Select(n => ToolCatalog.All.Single(t => t.Name == n)).ToList();
            string answer;
            try
            {
                answer = task.ToolStack == nameof(ToolStack.SemanticKernel)
                    ? await ViaKernelAsync(task.Instruction, declared, model, sampler, calls, ct)
                    : (await new ChatClientBuilder(model).UseFunctionInvocation().Build().GetResponseAsync(task.Instruction,
                        sampler.Options(Evaluator.MaxTokens("tool"), new ChatOptions { Tools = [.. declared.Select(d => new RecordingFunction(ToolTasks.AsFunction(d), d.Name, calls))] }), ct)).Text;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add($"{task.Id} {task.TargetTool}: {e.GetType().Name}: {e.Message}; calls [{Calls(calls)}]");
                return;
            }
            var expected = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(task.ExpectedArguments!)!;
            var hit = calls.FirstOrDefault(c => c.Tool == task.TargetTool && SameArguments(c.Arguments, expected));
            if (hit is not null && answer.Contains(hit.Result, StringComparison.Ordinal)) passed.Add(task.Id);
            else failures.Add($"{task.Id} {task.TargetTool}: calls [{Calls(calls)}], answer '{answer}'");
        });
        return GroupResult.Of(group, tasks.Count, passed, failures);
    }

    private static string Calls(IEnumerable<Invocation> calls) => string.Join("; ", calls.Select(c => $"{c.Tool}({c.Arguments})"));

    /// <summary>One real invocation of a declared function: its catalog name, arguments as JSON, result.</summary>
    private sealed record Invocation(string Tool, string Arguments, string Result);

    private static async Task<string> ViaKernelAsync(string request, List<ToolSpec> declared, IChatClient model, SamplerSetting sampler,
        ConcurrentQueue<Invocation> calls, CancellationToken ct)
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddChatClient(model).UseKernelFunctionInvocation();
        foreach (var plugin in declared.GroupBy(s => s.Plugin)) builder.Plugins.Add(ToolTasks.AsPlugin(plugin, plugin.Key));
        var kernel = builder.Build();
        kernel.FunctionInvocationFilters.Add(new RecordingFilter(declared, calls));
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(), ExtensionData = new Dictionary<string, object>() };
        foreach (var (key, value) in sampler.Options(Evaluator.MaxTokens("tool")).AdditionalProperties ?? []) settings.ExtensionData[key] = value!;
        settings.ExtensionData["max_tokens"] = Evaluator.MaxTokens("tool");
        settings.ExtensionData["temperature"] = 0;
        var result = await kernel.InvokePromptAsync(request, new KernelArguments(settings), cancellationToken: ct);
        return result.ToString();
    }

    private sealed class RecordingFunction(AIFunction inner, string tool, ConcurrentQueue<Invocation> calls) : DelegatingAIFunction(inner)
    {
        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            var result = await base.InvokeCoreAsync(arguments, cancellationToken);
            calls.Enqueue(new Invocation(tool, JsonSerializer.Serialize(arguments.ToDictionary(a => a.Key, a => a.Value)), TextOf(result)));
            return result;
        }
    }

    private sealed class RecordingFilter(List<ToolSpec> declared, ConcurrentQueue<Invocation> calls) : IFunctionInvocationFilter
    {
        public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
        {
            await next(context);
            if (declared.FirstOrDefault(d => d.SkName == context.Function.Name && d.Plugin == context.Function.PluginName) is { } spec)
                calls.Enqueue(new Invocation(spec.Name, JsonSerializer.Serialize(context.Arguments.ToDictionary(a => a.Key, a => a.Value)), TextOf(context.Result.GetValue<object>())));
        }
    }

    /// <summary>
    /// A model that answers every turn with another call makes the stacks ask it again and again (M.E.AI up to 40
    /// times per request): such a task fails after <see cref="MaxModelCalls"/> calls instead of running for minutes.
    /// </summary>
    private sealed class CallBudget(IChatClient inner, int budget) : DelegatingChatClient(inner)
    {
        private int _calls;

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Spend();
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            Spend();
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }

        private void Spend()
        {
            if (Interlocked.Increment(ref _calls) > budget)
                throw new InvalidOperationException($"the stack asked the model more than {budget} times: it kept calling functions instead of answering");
        }
    }

    private static string TextOf(object? value) => value switch
    {
        null => "",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonElement e => e.GetRawText(),
        var other => other.ToString()!,
    };

    private static bool SameArguments(string actualJson, Dictionary<string, JsonElement> expected)
    {
        var actual = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(actualJson)!;
        return actual.Count == expected.Count && expected.All(e => actual.TryGetValue(e.Key, out var v) && v.GetRawText() == e.Value.GetRawText());
    }
}
