using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Decoding;

public class DecodingBehaviourTests
{
    private static readonly int[] Prompt = [375, 478, 75, 191, 191, 381, 335, 126];

    private static GenerationRequest Request(int[] prompt, DiffusionOptions? options = null, int newTokens = 16) => new()
    {
        PromptTokens = prompt,
        MaxNewTokens = newTokens,
        Options = options ?? new DiffusionOptions { Steps = newTokens, BlockLength = 8, StopAtEndToken = false },
    };

    [Fact]
    public void Stops_early_when_an_end_token_is_committed_with_nothing_masked_before_it()
    {
        using var inner = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        int eos = inner.Config.EndTokenIds[0];
        // Answer positions 0..2 get strongly preferred tokens, position 3 an EOS: four steps settle the answer.
        using var model = new BiasedModel(inner, new() { [8] = 100, [9] = 101, [10] = 102, [11] = eos }, bias: 50);
        var options = new DiffusionOptions { Steps = 16, BlockLength = 16 };

        var stopped = new DiffusionGenerator(model).Generate(Request(Prompt, options));
        var full = new DiffusionGenerator(model).Generate(Request(Prompt, options with { StopAtEndToken = false }));

        Assert.Equal(DiffusionFinishReason.Stop, stopped.FinishReason);
        Assert.Equal(new[] { 100, 101, 102 }, stopped.Tokens);
        Assert.Equal(4, stopped.ForwardCalls);
        Assert.Equal(16, full.ForwardCalls);
        Assert.Equal(new[] { 100, 101, 102 }, full.Tokens); // the answer is cut at the first EOS either way
    }

    [Theory]
    [InlineData("llada-tiny", CacheMode.None)]
    [InlineData("llada-tiny", CacheMode.Dual)]
    [InlineData("llada-tiny", CacheMode.Prefix)]
    [InlineData("dream-tiny", CacheMode.None)]
    [InlineData("dream-tiny", CacheMode.Dual)]
    public void Batch_of_different_prompt_lengths_equals_decoding_each_alone(string fixture, CacheMode cache)
    {
        using var model = ModelLoader.Load(Fixtures.Path(fixture));
        var generator = new DiffusionGenerator(model);
        var options = new DiffusionOptions { Steps = 16, BlockLength = 8, Cache = cache, StopAtEndToken = false };
        int[][] prompts = [Prompt, [5, 6, 7], [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [42]];
        if (fixture == "dream-tiny") options = options with { Policy = new DreamRemasking() };

        var batched = generator.GenerateBatch(prompts.Select(p => Request(p, options)).ToList());
        for (int i = 0; i < prompts.Length; i++)
            Assert.Equal(generator.Generate(Request(prompts[i], options)).Canvas, batched[i].Canvas);
    }

    [Theory]
    [InlineData("llada-tiny", CacheMode.None)]
    [InlineData("llada-tiny", CacheMode.Dual)]
    [InlineData("dream-tiny", CacheMode.Dual)]
    public void Requests_joining_at_a_block_boundary_decode_as_they_would_alone(string fixture, CacheMode cache)
    {
        using var model = ModelLoader.Load(Fixtures.Path(fixture));
        var generator = new DiffusionGenerator(model);
        var options = new DiffusionOptions { Steps = 16, BlockLength = 4, Cache = cache, StopAtEndToken = false,
            Policy = fixture == "dream-tiny" ? new DreamRemasking() : new ConfidenceThresholdRemasking(0.2) };
        var first = Request(Prompt, options);
        var waiting = new Queue<GenerationRequest>([Request([5, 6, 7], options), Request(Enumerable.Range(20, 12).ToArray(), options)]);
        var results = new Dictionary<int, GenerationResult>();
        var events = new List<(int Row, int Block)>();

        generator.RunContinuous([first], _ => waiting.Count > 0 ? [waiting.Dequeue()] : [],
            (row, result) => results[row] = result, step => events.Add((step.Row, step.Block)));

        Assert.Equal(3, results.Count);
        Assert.Equal(generator.Generate(first).Canvas, results[0].Canvas);
        Assert.Equal(generator.Generate(Request([5, 6, 7], options)).Canvas, results[1].Canvas);
        Assert.Equal(generator.Generate(Request(Enumerable.Range(20, 12).ToArray(), options)).Canvas, results[2].Canvas);
        // Row 1 joined while row 0 was at its second block, row 2 at row 0's third.
        // Row 1 joined when row 0 moved to its second block, row 2 when it moved to its third (rows report in order).
        Assert.Equal((0, 1), events[events.FindIndex(e => e.Row == 1) - 1]);
        Assert.Equal(0, events.First(e => e.Row == 1).Block);
        Assert.Equal(2, events.Last(e => e.Row == 0 && events.IndexOf(e) < events.FindIndex(x => x.Row == 2)).Block);
    }

    [Fact]
    public void Cancelling_one_request_leaves_the_rest_of_its_batch_running()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var generator = new DiffusionGenerator(model);
        using var cts = new CancellationTokenSource();
        var options = new DiffusionOptions { Steps = 16, BlockLength = 8, StopAtEndToken = false };
        var results = generator.GenerateBatch([Request(Prompt, options), Request([5, 6, 7], options) with { CancellationToken = cts.Token }],
            step => { if (step.Row == 1 && step.Step == 2) cts.Cancel(); });

        Assert.Equal(DiffusionFinishReason.Cancelled, results[1].FinishReason);
        Assert.Equal(3, results[1].ForwardCalls); // the steps it committed in before the cancellation was seen
        Assert.Equal(generator.Generate(Request(Prompt, options)).Canvas, results[0].Canvas);
    }

    [Fact]
    public void Cancellation_stops_decoding_within_one_step()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        using var cts = new CancellationTokenSource();
        int steps = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => new DiffusionGenerator(model).Generate(Request(Prompt), step =>
        {
            steps++;
            if (step.Step == 2) cts.Cancel();
        }, cts.Token));
        Assert.Equal(3, steps);
    }

    [Fact]
    public void Same_seed_gives_the_same_sample_and_another_seed_differs()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var generator = new DiffusionGenerator(model);
        var options = new DiffusionOptions { Steps = 16, BlockLength = 8, Temperature = 1.0, StopAtEndToken = false };
        var a = generator.Generate(Request(Prompt, options with { Seed = 7 }));
        var b = generator.Generate(Request(Prompt, options with { Seed = 7 }));
        var c = generator.Generate(Request(Prompt, options with { Seed = 8 }));
        Assert.Equal(a.Canvas, b.Canvas);
        Assert.NotEqual(a.Canvas, c.Canvas);
    }

    [Fact]
    public void Sampled_requests_with_their_own_seeds_batch_together_and_match_their_solo_runs()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var generator = new DiffusionGenerator(model);
        var options = new DiffusionOptions { Steps = 16, BlockLength = 8, Temperature = 1.0, StopAtEndToken = false };
        var requests = new[] { Request(Prompt, options) with { Seed = 1 }, Request([5, 6, 7], options) with { Seed = 2 } };
        var batched = generator.GenerateBatch(requests);
        Assert.Equal(generator.Generate(requests[0]).Canvas, batched[0].Canvas);
        Assert.Equal(generator.Generate(requests[1]).Canvas, batched[1].Canvas);
    }

    [Fact]
    public void Fixed_answer_tokens_are_kept_and_the_rest_is_filled()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var fixedTokens = new Dictionary<int, int> { [0] = 123, [7] = 124, [15] = 125 };
        var result = new DiffusionGenerator(model).Generate(Request(Prompt) with { FixedAnswerTokens = fixedTokens });
        Assert.All(fixedTokens, p => Assert.Equal(p.Value, result.Canvas[p.Key]));
        Assert.DoesNotContain(model.Config.MaskTokenId, result.Canvas);
        Assert.Equal(13, result.ForwardCalls); // one step per masked position
    }

    [Fact]
    public void Infilling_keeps_the_suffix_and_attends_to_it()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var generator = new DiffusionGenerator(model);
        var options = new DiffusionOptions { Steps = 8, BlockLength = 8, StopAtEndToken = false };
        int[] suffixA = Enumerable.Repeat(51, 24).ToArray(), suffixB = Enumerable.Range(200, 24).ToArray();

        var a = generator.Generate(Request(Prompt, options, 8) with { SuffixTokens = suffixA });
        var b = generator.Generate(Request(Prompt, options, 8) with { SuffixTokens = suffixB });
        Assert.Equal(suffixA, a.Canvas.Skip(8));
        Assert.Equal(suffixB, b.Canvas.Skip(8));
        Assert.NotEqual(a.Canvas.Take(8), b.Canvas.Take(8));

        var plain = generator.Generate(Request(Prompt, options, 8));
        var emptySuffix = generator.Generate(Request(Prompt, options, 8) with { SuffixTokens = [] });
        Assert.Equal(plain.Canvas, emptySuffix.Canvas);
    }

    [Fact]
    public void Answer_length_need_not_be_a_multiple_of_the_block_length()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var result = new DiffusionGenerator(model).Generate(Request(Prompt, new DiffusionOptions { BlockLength = 4, StopAtEndToken = false }, 13));
        Assert.Equal(13, result.Canvas.Count);
        Assert.DoesNotContain(model.Config.MaskTokenId, result.Canvas);
        Assert.Equal(13, result.ForwardCalls); // default: one token per step
    }

    [Fact]
    public void Too_long_prompt_is_refused_or_truncated_from_the_start_as_asked()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny")); // max_sequence_length 256
        var prompt = Enumerable.Range(0, 250).Select(i => i % 500).ToArray();
        var error = Assert.Throws<ArgumentException>(() => new DiffusionGenerator(model).Generate(Request(prompt)));
        Assert.Contains("max_sequence_length 256", error.Message);

        var truncated = new DiffusionGenerator(model).Generate(Request(prompt, new DiffusionOptions { Steps = 16, BlockLength = 8, Overflow = PromptOverflow.TruncateStart }));
        Assert.Equal(240, truncated.PromptTokenCount);
    }

    [Fact]
    public void Stop_sequence_cuts_the_text_across_token_boundaries()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var tokenizer = HuggingFaceTokenizer.FromFile(Fixtures.Path("bpe-qwen2-style", "tokenizer.json"));
        var generator = new DiffusionGenerator(model, tokenizer);
        var options = new DiffusionOptions { Steps = 16, BlockLength = 8, StopAtEndToken = false };
        var plain = generator.Generate(Request(Prompt, options));
        string text = tokenizer.Decode(plain.Canvas);
        // A stop string that starts inside the text, spanning whatever tokens it spans.
        string stop = text.Substring(text.Length / 2, 3);
        int at = text.IndexOf(stop, StringComparison.Ordinal);

        var stopped = generator.Generate(Request(Prompt, options) with { StopSequences = [stop] });
        Assert.Equal(DiffusionFinishReason.Stop, stopped.FinishReason);
        Assert.DoesNotContain(stop, tokenizer.Decode(stopped.Tokens));
        Assert.StartsWith(tokenizer.Decode(stopped.Tokens), text[..at]);
    }

    [Fact]
    public async Task Streaming_yields_every_step_then_the_same_result_as_generate()
    {
        using var model = ModelLoader.Load(Fixtures.Path("llada-tiny"));
        var generator = new DiffusionGenerator(model);
        var request = Request(Prompt);
        var steps = new List<DiffusionStep>();
        GenerationResult? result = null;
        await foreach (var update in generator.GenerateStreamingAsync(request))
        {
            if (update.Step is { } step) steps.Add(step);
            if (update.Result is { } r) result = r;
        }
        Assert.NotNull(result);
        Assert.Equal(generator.Generate(request).Canvas, result.Canvas);
        Assert.Equal(16, steps.Count);
        Assert.Equal(16, steps.Sum(s => s.Committed.Count));
        Assert.All(steps.Zip(steps.Skip(1)), p => Assert.True(p.Second.StableLength >= p.First.StableLength));
    }

    /// <summary>Adds a large bias to chosen tokens at chosen absolute positions: a model whose choices we dictate.</summary>
    private sealed class BiasedModel(IDiffusionLanguageModel inner, Dictionary<int, int> tokenAtPosition, float bias) : IDiffusionLanguageModel
    {
        public ModelConfig Config => inner.Config;
        public Device Device => inner.Device;
        public ScalarType DType => inner.DType;
        public KvCache CreateCache(long batch, long capacity) => inner.CreateCache(batch, capacity);

        public Tensor Forward(Tensor inputIds, ForwardOptions? options = null)
        {
            options ??= new ForwardOptions();
            var logits = inner.Forward(inputIds, options);
            // Absolute position of each logits row (single-row batches, no cache columns in this test).
            var rows = options.LogitsIndex is { } index
                ? index[0].data<long>().Select(i => options.Offset + i).ToArray()
                : Enumerable.Range(0, (int)logits.shape[1]).Select(i => options.Offset + options.LogitsStart + i).ToArray();
            foreach (var (position, token) in tokenAtPosition)
            {
                int row = Array.IndexOf(rows, (long)position);
                if (row >= 0) logits[.., row, token] += bias;
            }
            return logits;
        }

        public void Dispose() { }
    }
}
