using System.Text.Json.Nodes;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Engine.Tests.Decoding;

/// <summary>Issue 16, item 2: a decoding step allocates nothing on the managed heap that grows with the canvas or the
/// vocabulary (the bytes are measured per thread by <see cref="StepProfiler"/>; no timing is asserted).</summary>
public class StepAllocationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(CacheMode.Dual)]
    [InlineData(CacheMode.None)]
    public void Step_allocations_do_not_grow_with_canvas_or_vocabulary(CacheMode cache)
    {
        var small = MedianBytes(vocab: 128, answer: 32, cache);
        var large = MedianBytes(vocab: 4096, answer: 256, cache);
        output.WriteLine($"{cache}: host {small.Host} / {large.Host} B, tensor calls {small.Tensor} / {large.Tensor} B per step");

        Assert.Equal(small.Host, large.Host);
        Assert.InRange(small.Host, 0, 1024);
        // The tensor calls allocate TorchSharp's wrapper objects (a Tensor per op, shape arrays): a fixed count per step.
        Assert.InRange(large.Tensor - small.Tensor, -256, 256);
    }

    /// <summary>Median managed bytes per step (cached steps for the dual cache, all steps without one), host part and
    /// tensor-call part, for a two-layer random model decoding one row, 32-token blocks, 8 tokens per step.</summary>
    private static (long Host, long Tensor) MedianBytes(int vocab, int answer, CacheMode cache)
    {
        var config = ModelConfig.FromJson(new JsonObject
        {
            ["model_type"] = "llada", ["d_model"] = 64, ["n_heads"] = 4, ["n_kv_heads"] = 4, ["n_layers"] = 2, ["mlp_hidden_size"] = 128,
            ["vocab_size"] = vocab, ["max_sequence_length"] = 1024, ["mask_token_id"] = vocab - 1, ["eos_token_id"] = vocab - 2,
        });
        using var model = ModelLoader.Create(config, new ModelBuildOptions());
        using (no_grad())
            foreach (var (name, p) in model.named_parameters()) p.normal_(name.EndsWith("norm.weight") || name.EndsWith("ln_f.weight") ? 1 : 0, 0.02);
        var steps = new List<StepProfile>();
        var request = new GenerationRequest
        {
            PromptTokens = Enumerable.Range(0, 8).ToArray(), MaxNewTokens = answer,
            Options = new DiffusionOptions { BlockLength = 32, Steps = answer / 8, Cache = cache, StopAtEndToken = false },
        };
        var generator = new DiffusionGenerator(model);
        generator.Generate(request); // warm-up: first-call allocations (JIT, thread-static scratch) are not per step
        using (StepProfiler.Record(steps.Add)) generator.Generate(request);
        var measured = steps.Where(s => cache == CacheMode.None || !s.FullForward).ToList();
        return (Median(measured.Select(s => s.HostBytes)), Median(measured.Select(s => s.TensorBytes)));
    }

    private static long Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
