using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace Mercury.AI.Training.Corpus.Tools;

/// <summary>Which stack declares the tools: M.E.AI's <c>UseFunctionInvocation</c> or Semantic Kernel's auto function calling.</summary>
public enum ToolStack
{
    ExtensionsAI,
    SemanticKernel,
}

/// <summary>One request sent to the model by the stack: the conversation and options exactly as the chat client receives them.</summary>
public sealed record CapturedTurn(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options);

/// <summary>A tool interaction: the call turn (the model must answer with the call) and the answer turn (after the result).</summary>
public sealed record ToolInteraction(ToolSpec Target, ToolStack Stack, IReadOnlyList<ToolSpec> Declared, string Request, string CalledName,
    IReadOnlyDictionary<string, object?> Arguments, CapturedTurn CallTurn, string CallAnswer, CapturedTurn AnswerTurn, string FinalAnswer);

/// <summary>
/// Runs the real tool stacks (M.E.AI's FunctionInvokingChatClient, Semantic Kernel's kernel functions) against a
/// capturing chat client that plays the model, so the corpus holds what those stacks really send: tool declarations
/// as they build them, the call in history, the result as they return it.
/// </summary>
public static class ToolTasks
{
    public static AIFunction AsFunction(ToolSpec spec) =>
        spec.Method is not null ? AIFunctionFactory.Create(spec.Method, spec.Name, spec.Description) : new DeclaredFunction(spec);

    public static KernelPlugin AsPlugin(IEnumerable<ToolSpec> specs, string pluginName) =>
        KernelPluginFactory.CreateFromFunctions(pluginName, specs.Select(s => s.Method is not null
            ? KernelFunctionFactory.CreateFromMethod(s.Method, s.SkName, s.Description)
            // Declared parameters, as an app describing a function by metadata does; the arguments arrive whole.
            : KernelFunctionFactory.CreateFromMethod((KernelArguments arguments) => s.Body!(arguments.ToDictionary(a => a.Key, a => a.Value)),
                s.SkName, s.Description, s.Parameters.Select(p => new KernelParameterMetadata(p.Name)
                {
                    Description = p.Description, ParameterType = p.IsInteger ? typeof(int) : typeof(string), IsRequired = true,
                }))));

    /// <summary>The name the model must write for <paramref name="spec"/> under <paramref name="stack"/>.</summary>
    public static string CallName(ToolSpec spec, ToolStack stack) => stack == ToolStack.SemanticKernel ? $"{spec.Plugin}_{spec.SkName}" : spec.Name;

    /// <summary>Arguments as JSON values (numbers for int parameters), from the request's filled placeholders.</summary>
    public static Dictionary<string, object?> Arguments(ToolSpec spec, IReadOnlyDictionary<string, string> values) =>
        spec.Parameters.ToDictionary(p => p.Name, p => (object?)(p.IsInteger
            ? JsonSerializer.SerializeToElement(int.Parse(values[p.Name], CultureInfo.InvariantCulture))
            : JsonSerializer.SerializeToElement(values[p.Name])));

    public static async Task<ToolInteraction> PlayAsync(ToolSpec target, IReadOnlyList<ToolSpec> declared, ToolStack stack, Random r, string? instructions = null)
    {
        var values = target.Values.ToDictionary(v => v.Key, v => v.Value[r.Next(v.Value.Length)]);
        if (values.TryGetValue("destination", out var d) && values["origin"] == d) values["destination"] = target.Values["destination"].First(x => x != d);
        if (values.TryGetValue("to", out var to) && target.Values["to"].Contains(to) && values.GetValueOrDefault("from") == to) values["to"] = target.Values["to"].First(x => x != to);
        string request = Fill(target.Requests[r.Next(target.Requests.Length)], values);
        string name = CallName(target, stack);
        var arguments = Arguments(target, values);
        var call = new FunctionCallContent($"call_{r.Next():x8}", name, arguments);
        string callAnswer = Mercury.AI.Chat.Tools.ToolPrompt.RenderCall(call);
        string answerTemplate = target.Answers[r.Next(target.Answers.Length)];
        var model = new PlayingClient(call, result => Fill(answerTemplate, values).Replace("{result}", result, StringComparison.Ordinal));
        var messages = new List<ChatMessage>();
        if (instructions is not null && stack == ToolStack.ExtensionsAI && r.Next(2) == 0) messages.Add(new ChatMessage(ChatRole.System, instructions));
        messages.Add(new ChatMessage(ChatRole.User, request));
        if (stack == ToolStack.ExtensionsAI)
        {
            using var client = new ChatClientBuilder(model).UseFunctionInvocation().Build();
            var options = new ChatOptions { Tools = [.. declared.Select(AsFunction)], Instructions = messages[0].Role == ChatRole.System ? null : instructions };
            await client.GetResponseAsync(messages, options);
        }
        else
        {
            var builder = Kernel.CreateBuilder();
            builder.Services.AddChatClient(model).UseKernelFunctionInvocation();
            foreach (var group in declared.GroupBy(s => s.Plugin)) builder.Plugins.Add(AsPlugin(group, group.Key));
            var kernel = builder.Build();
            await kernel.InvokePromptAsync(request, new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));
        }
        if (model.Turns.Count != 2)
            throw new InvalidOperationException($"{stack} made {model.Turns.Count} model calls for {name}; expected the call turn and the answer turn.");
        return new ToolInteraction(target, stack, declared, request, name, arguments, model.Turns[0], callAnswer, model.Turns[1], model.FinalAnswer!);
    }

    private static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        values.Aggregate(template, (t, v) => t.Replace("{" + v.Key + "}", v.Value, StringComparison.Ordinal));

    /// <summary>An <see cref="AIFunction"/> described by a JSON schema rather than a method (the schema
    /// <c>AIFunctionFactory</c> would write for the same typed parameters).</summary>
    private sealed class DeclaredFunction(ToolSpec spec) : AIFunction
    {
        public override string Name => spec.Name;

        public override string Description => spec.Description;

        public override JsonElement JsonSchema { get; } = JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = spec.Parameters.ToDictionary(p => p.Name, p => new Dictionary<string, string>
            {
                ["description"] = p.Description, ["type"] = p.IsInteger ? "integer" : "string",
            }),
            ["required"] = spec.Parameters.Select(p => p.Name).ToArray(),
        });

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>(spec.Body!(arguments.ToDictionary(a => a.Key, a => a.Value)));
    }

    /// <summary>Plays the model: the call first, then an answer built from the tool result the stack sends back.</summary>
    private sealed class PlayingClient(FunctionCallContent call, Func<string, string> answer) : IChatClient
    {
        public List<CapturedTurn> Turns { get; } = [];

        public string? FinalAnswer { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.Select(m => m.Clone()).ToList();
            Turns.Add(new CapturedTurn(list, options?.Clone()));
            if (Turns.Count == 1) return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])));
            var result = list.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Last();
            string text = result.Result switch
            {
                JsonElement { ValueKind: JsonValueKind.String } s => s.GetString()!,
                JsonElement e => e.GetRawText(),
                null => "",
                var other => other.ToString()!,
            };
            FinalAnswer = answer(text);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, FinalAnswer)));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The corpus plays non-streaming turns.");

        // Semantic Kernel asks for the metadata of every chat client it wraps.
        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("mercury-corpus") : null;

        public void Dispose()
        {
        }
    }
}
