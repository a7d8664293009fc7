using System.Text.Json;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;

namespace Mercury.AI.Bench;

/// <summary>
/// <c>mercury-bench host --model M [--gen N] [--block B] [--batch N]</c>: per decoding step, the managed time spent
/// outside tensor calls and the managed bytes allocated (issue 16, item 2), from the decoder's own step profile
/// (<see cref="StepProfiler"/>), for cached (dual) and full-forward steps. Medians over one decode after a warm-up.
/// </summary>
internal static class HostOverhead
{
    public static int Run(IDiffusionLanguageModel model, BenchOptions options, int batch, string? jsonPath)
    {
        var random = new Random(1234);
        var requests = Enumerable.Range(0, batch).Select(_ => new GenerationRequest
        {
            PromptTokens = Enumerable.Range(0, options.PromptLength).Select(_ => random.Next(0, model.Config.MaskTokenId)).ToArray(),
            MaxNewTokens = options.GenLength,
            Options = new DiffusionOptions { Steps = options.GenLength, BlockLength = options.BlockLength, Cache = CacheMode.Dual, StopAtEndToken = false, Seed = 1 },
        }).ToList();
        var generator = new DiffusionGenerator(model);
        generator.GenerateBatch(requests);
        var steps = new List<StepProfile>();
        using (StepProfiler.Record(steps.Add)) generator.GenerateBatch(requests);

        var report = new Dictionary<string, object>
        {
            ["date"] = DateTime.UtcNow.ToString("u"), ["machine"] = $"{Environment.MachineName}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores",
            ["device"] = model.Device.ToString(), ["dtype"] = model.DType.ToString(), ["threads"] = TorchSharp.torch.get_num_threads(),
            ["model"] = options.Model, ["batch"] = batch, ["prompt_length"] = options.PromptLength, ["gen_length"] = options.GenLength, ["block_length"] = options.BlockLength,
        };
        foreach (var (name, group) in new[] { ("cached", steps.Where(s => !s.FullForward).ToList()), ("full", steps.Where(s => s.FullForward).ToList()) })
        {
            double hostUs = Median(group.Select(s => s.Host.TotalMicroseconds)), tensorUs = Median(group.Select(s => s.Tensor.TotalMicroseconds));
            double hostBytes = Median(group.Select(s => (double)s.HostBytes)), tensorBytes = Median(group.Select(s => (double)s.TensorBytes));
            Console.WriteLine($"{name,-7} steps {group.Count,5}  host {hostUs,8:F1} us  tensor calls {tensorUs,10:F1} us  host alloc {hostBytes,7:F0} B  tensor-call alloc {tensorBytes,8:F0} B");
            report[name] = new Dictionary<string, object>
            {
                ["steps"] = group.Count, ["host_us"] = hostUs, ["tensor_us"] = tensorUs, ["host_bytes"] = hostBytes, ["tensor_call_bytes"] = tensorBytes,
            };
        }
        if (jsonPath is not null) File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
