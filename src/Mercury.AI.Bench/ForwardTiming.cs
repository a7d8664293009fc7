using System.Diagnostics;
using Mercury.AI.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mercury.AI.Bench;

/// <summary>
/// <c>mercury-bench forward --model M [--prompt P] [--block B] [--runs N]</c>: the model alone, no sampler: a full
/// forward over a P-token canvas that fills a cache, then the dual-cache step the decoder runs (B tokens written at
/// their columns under a key mask), N times each; prints min and median milliseconds. On a shared machine the minimum
/// is the figure to compare: interference only ever adds time.
/// </summary>
internal static class ForwardTiming
{
    public static int Run(IDiffusionLanguageModel model, BenchOptions options, Device device)
    {
        int length = options.PromptLength, block = Math.Min(options.BlockLength, length);
        using var noGrad = no_grad();
        using var ids = randint(0, model.Config.MaskTokenId, [1, length], dtype: ScalarType.Int64, device: device);
        using var blockIds = ids.narrow(1, length - block, block);
        using var columns = arange(length - block, length, ScalarType.Int64, device).view(1, block);
        using var keyMask = ones([1, length], ScalarType.Bool, device);
        using var cache = model.CreateCache(1, length);
        var full = new List<double>();
        var step = new List<double>();
        var clock = new Stopwatch();
        for (int i = 0; i < options.Warmup + options.Runs; i++)
        {
            clock.Restart();
            using (model.Forward(ids, new ForwardOptions { Cache = cache })) Sync(device);
            double fullMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            using (model.Forward(blockIds, new ForwardOptions { Cache = cache, CacheColumns = columns, KeyMask = keyMask, PositionIds = columns, LogitsLength = block }))
                Sync(device);
            if (i < options.Warmup) continue;
            full.Add(fullMs);
            step.Add(clock.Elapsed.TotalMilliseconds);
        }
        full.Sort();
        step.Sort();
        Console.WriteLine($"full forward ({length} tokens): min {full[0]:F2} ms, median {full[full.Count / 2]:F2} ms; " +
                          $"cached step ({block} tokens): min {step[0]:F2} ms, median {step[step.Count / 2]:F2} ms; {model.Config.NumLayers} layers, {options.Runs} runs");
        return 0;
    }

    private static void Sync(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
