using Mercury.AI.Engine.Decoding;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests;

public class ConcurrencyTests
{
    [Theory]
    [InlineData("llada-tiny")]
    [InlineData("dream-tiny")]
    public async Task Twenty_parallel_requests_all_complete_with_the_results_of_sequential_runs(string fixture)
    {
        using var client = DiffusionChatClient.Load(RealModel.Options(fixture));
        var prompts = RealModel.Prompts(20);
        var options = new ChatOptions { MaxOutputTokens = 12, AdditionalProperties = new() { [DiffusionChatOptions.StepsKey] = 6 } };

        var sequential = new List<IReadOnlyList<int>>();
        foreach (string prompt in prompts)
            sequential.Add(((GenerationResult)(await client.GetResponseAsync(prompt, options)).RawRepresentation!).Tokens);

        var parallel = await Task.WhenAll(prompts.Select(p => Task.Run(() => client.GetResponseAsync(p, options))));

        for (int i = 0; i < prompts.Count; i++)
            Assert.Equal(sequential[i], ((GenerationResult)parallel[i].RawRepresentation!).Tokens);
    }

    [Fact]
    public async Task Parallel_requests_with_equal_options_are_decoded_in_shared_batches()
    {
        var backend = new ScriptedBackend(p => p.Length.ToString()) { BeforeStep = _ => Thread.Sleep(2) };
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { MaxBatchSize = 8 });
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetResponseAsync($"question {i}", new ChatOptions { MaxOutputTokens = 8 })));

        Assert.Equal(20, responses.Length);
        Assert.Equal(20, backend.BatchSizes.Sum());
        Assert.True(backend.BatchSizes.Max() > 1, $"batches: {string.Join(",", backend.BatchSizes)}");
        Assert.True(backend.BatchSizes.Max() <= 8);
    }

    [Fact]
    public async Task Requests_with_different_options_are_never_batched_together()
    {
        var backend = new ScriptedBackend(_ => "ok") { BeforeStep = _ => Thread.Sleep(2) };
        using var client = ScriptedBackend.Client(backend);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.GetResponseAsync("q", new ChatOptions { MaxOutputTokens = 4 + i % 2 })));
        // GenerateBatch itself rejects mixed options/lengths, so reaching here with all 10 answered is the check.
        Assert.Equal(10, backend.BatchSizes.Sum());
    }

    [Fact]
    public async Task A_full_queue_refuses_the_next_request_with_a_clear_exception()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var backend = new ScriptedBackend(_ => "ok") { BeforeStep = _ => { started.Set(); release.Wait(TimeSpan.FromSeconds(30)); } };
        using var client = ScriptedBackend.Client(backend, new DiffusionChatClientOptions { QueueCapacity = 2, MaxBatchSize = 1 });
        var running = client.GetResponseAsync("first");
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var waiting = new[] { client.GetResponseAsync("second"), client.GetResponseAsync("third") };

        var e = await Assert.ThrowsAsync<DiffusionQueueFullException>(() => client.GetResponseAsync("fourth"));
        Assert.Equal(2, e.Capacity);
        Assert.Contains("QueueCapacity", e.Message);

        release.Set();
        await Task.WhenAll(waiting.Append(running));
        await client.GetResponseAsync("fifth"); // room again
    }

    [Fact]
    public async Task Seeded_sampling_requests_with_different_seeds_share_batches()
    {
        // Every row draws from its own request's seed, so batching cannot change a seeded sample.
        var backend = new ScriptedBackend(_ => "ok") { BeforeStep = _ => Thread.Sleep(20) };
        using var client = ScriptedBackend.Client(backend);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => client.GetResponseAsync("q", new ChatOptions { Temperature = 0.8f, Seed = 42 + i, MaxOutputTokens = 4 })));
        Assert.Contains(backend.BatchSizes, size => size > 1);
    }

    [Fact]
    public async Task A_request_the_engine_refuses_does_not_fail_the_requests_batched_with_it()
    {
        var backend = new RefusingBackend(new ScriptedBackend(p => "fine") { BeforeStep = _ => Thread.Sleep(2) });
        using var client = new DiffusionChatClient(backend, new DiffusionChatClientOptions(), null, "refusing");
        var tasks = Enumerable.Range(0, 8).Select(i => client.GetResponseAsync(i == 5 ? "poison" : $"ok {i}", new ChatOptions { MaxOutputTokens = 4 })).ToList();
        foreach (var (task, i) in tasks.Select((t, i) => (t, i)))
            if (i == 5) await Assert.ThrowsAsync<ArgumentException>(() => task);
            else Assert.Equal("fine", (await task).Text);
    }

    [Fact]
    public async Task An_answer_ceiling_beyond_the_context_shortens_the_canvas_to_fit()
    {
        var backend = new ScriptedBackend(_ => "ok") { Config = new ScriptedBackend(_ => "").Config with { MaxSequenceLength = 160 } };
        using var client = ScriptedBackend.Client(backend);
        var response = await client.GetResponseAsync("short question", new ChatOptions { MaxOutputTokens = 8000 });
        Assert.Equal("ok", response.Text);
        var request = backend.Requests.Single();
        Assert.Equal(160, request.PromptTokens.Count + request.MaxNewTokens);
    }

    [Fact]
    public async Task A_conversation_longer_than_the_context_fails_before_queueing_with_the_lengths()
    {
        var backend = new ScriptedBackend(_ => "ok") { Config = new ScriptedBackend(_ => "").Config with { MaxSequenceLength = 32 } };
        using var client = ScriptedBackend.Client(backend);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(new string('x', 200), new ChatOptions { MaxOutputTokens = 8 }));
        Assert.Contains("context of 32", e.Message);
        Assert.Empty(backend.Requests);
    }

    /// <summary>Refuses (like the engine's argument checks) any batch holding a "poison" prompt.</summary>
    private sealed class RefusingBackend(ScriptedBackend inner) : Decoding.IDiffusionBackend
    {
        public Engine.Tokenization.HuggingFaceTokenizer Tokenizer => inner.Tokenizer;

        public Engine.Models.ModelConfig Config => inner.Config;

        public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<DiffusionStep>? onStep, CancellationToken cancellationToken) =>
            requests.Any(r => Tokenizer.Decode(r.PromptTokens).Contains("poison", StringComparison.Ordinal))
                ? throw new ArgumentException("poisoned prompt", nameof(requests))
                : inner.GenerateBatch(requests, onStep, cancellationToken);

        public object? GetService(Type serviceType) => null;

        public void Dispose() => inner.Dispose();
    }
}
