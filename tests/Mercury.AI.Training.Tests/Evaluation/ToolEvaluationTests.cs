using System.Text.Json;
using Mercury.AI.Training.Corpus;
using Mercury.AI.Training.Evaluation;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Training.Tests.Evaluation;

public class ToolEvaluationTests
{
    // Tasks with a request of their own, so the playing model knows which task a conversation is.
    private static List<CorpusExample> Tasks => [.. SmallWorld.Corpus.HeldOutSeen.Concat(SmallWorld.Corpus.Unseen).Where(e => e.Kind == ExampleKind.ToolCall)
        .GroupBy(e => e.Instruction).Where(g => g.Count() == 1).Select(g => g.Single())];

    [Fact]
    public async Task A_model_that_calls_the_expected_function_and_reports_its_result_passes_through_both_stacks()
    {
        Assert.Contains(Tasks, t => t.ToolStack == "SemanticKernel");
        Assert.Contains(Tasks, t => t.ToolStack == "ExtensionsAI");
        var result = await ToolEvaluation.RunAsync("tools", Tasks, new PlayingModel(loop: false), SamplerSetting.Parse("onetok"), CancellationToken.None);
        Assert.Equal(Tasks.Count, result.Passed);
    }

    [Fact]
    public async Task A_model_that_answers_every_result_with_another_call_fails_after_the_budget_of_calls()
    {
        var model = new PlayingModel(loop: true);
        var result = await ToolEvaluation.RunAsync("tools", Tasks, model, SamplerSetting.Parse("onetok"), CancellationToken.None);
        Assert.Equal(0, result.Passed);
        Assert.All(result.Failures, f => Assert.Contains($"more than {ToolEvaluation.MaxModelCalls} times", f));
        // The calls it made are in the report: the target, invoked for real, once per model turn.
        Assert.All(result.Failures, f => Assert.Matches(@"^\S+ (\w+): .*calls \[\1\(", f));
        Assert.Equal(Tasks.Count * ToolEvaluation.MaxModelCalls, model.Calls);
    }

    /// <summary>Plays the model: the task's expected call, then (unless it loops) an answer quoting the result.</summary>
    private sealed class PlayingModel(bool loop) : IChatClient
    {
        private int _calls;

        public int Calls => _calls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var list = messages.ToList();
            string request = list.First(m => m.Role == ChatRole.User).Text;
            var task = Tasks.First(t => t.Instruction == request);
            var result = list.SelectMany(m => m.Contents).OfType<FunctionResultContent>().LastOrDefault();
            if (result is null || loop)
            {
                var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>(task.ExpectedArguments!);
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"c{_calls}", task.ExpectedName!, arguments)])));
            }
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"The result: {result.Result}.")));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("playing") : null;

        public void Dispose()
        {
        }
    }
}
