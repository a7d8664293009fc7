// mercury-bench: diffusion decoding against the autoregressive baseline, same weights shape, device and engine.
//
//   dotnet run -c Release --project src/Mercury.AI.Bench -- --model llada-512x8 --batch 1,4 --json bench.json
//   dotnet run -c Release --project src/Mercury.AI.Bench -- --model llada-8b --device cuda --dtype bf16   (GPU machine)
//   dotnet run --project src/Mercury.AI.Bench -- --smoke                                                  (CI smoke run)
//   dotnet run --project src/Mercury.AI.Bench -- parity --fixtures tests/fixtures --device cuda            (reference logits on a device)
//   dotnet run -c Release --project src/Mercury.AI.Bench -- host --model llada-512x8                      (host time and bytes per step)
//   dotnet run -c Release --project src/Mercury.AI.Bench -- forward --model llada-64x32 --prompt 128 --runs 200  (per-op overhead)
//
// --model takes a checkpoint folder, "embedded", or a named shape with random weights (llada-8b, dream-7b,
// llada-512x8, llada-tiny) created directly on the device. Warm-up runs come first; figures are medians.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Mercury.AI.Bench;
using Mercury.AI.Engine;
using Mercury.AI.Engine.Decoding;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

if (args.FirstOrDefault() == "parity") return Parity.Run(args[1..]);
string? mode = args.FirstOrDefault() is "host" or "forward" ? args[0] : null;
if (mode is not null) args = args[1..];
if (args.FirstOrDefault() is "-h" or "--help")
{
    Console.WriteLine("""
        usage: mercury-bench [--model llada-512x8|llada-8b|dream-7b|llada-tiny|embedded|FOLDER] [--device cpu|cuda|auto] [--dtype f32|bf16|f16]
                             [--prompt 256 | --prompt-text TEXT] [--gen 256] [--block 32] [--batch 1,4,16] [--runs 3] [--warmup 1]
                             [--warmup-gen N] [--settings ar,nocache-1,dual-1,dual-thr0.9,dual-4] [--threads N] [--json FILE] [--smoke]
               mercury-bench parity --fixtures DIR [--device cpu|cuda]
               mercury-bench host [same options; first --batch value]   managed time and bytes per decoding step
               mercury-bench forward [--model M --prompt P --block B --runs N]   model alone: full forward and cached step, min/median ms
        --prompt-text: a real instruction (chat-formatted when the tokenizer has ChatML tokens) instead of random prompt ids;
        needs a model with a tokenizer (a folder or embedded). Random prompts make a trained model's confidence meaningless.
        """);
    return 0;
}

var options = BenchOptions.Parse(args);
var device = TorchRuntime.ResolveDevice(options.Device);
var dtype = options.DType ?? (device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32);
Console.WriteLine($"mercury-bench  model {options.Model}  device {device}  dtype {dtype}  threads {get_num_threads()}  " +
                  $"prompt {options.PromptLength}  gen {options.GenLength}  block {options.BlockLength}  runs {options.Runs} (+{options.Warmup} warm-up)");

using var model = LoadModel(options, device, dtype);
if (mode == "host") return HostOverhead.Run(model, options, options.Batches[0], options.JsonPath);
if (mode == "forward") return ForwardTiming.Run(model, options, device);
int[]? promptText = options.PromptText is { } text ? EncodePrompt(options, text) : null;
if (promptText is not null) Console.WriteLine($"prompt: {promptText.Length} tokens of real text");
var settings = Setting.All(options.GenLength, model.Config.Architecture).Where(s => options.Settings is null || options.Settings.Contains(s.Name)).ToList();
var rows = new List<Dictionary<string, object>>();
using var gpuMemory = device.type == DeviceType.CUDA ? GpuMemory.Start(device.index < 0 ? 0 : device.index) : null;
Console.WriteLine($"{"setting",-14} {"batch",5} {"calls",6} {"tok/step",8} {"full ms",9} {"cached ms",9} {"e2e s",8} {"tok/s",9} {"vs AR",6} {"host MB",8} {"GPU MB",8}");
foreach (int batch in options.Batches)
{
    double? arTokensPerSecond = null;
    foreach (var setting in settings)
    {
        gpuMemory?.TakePeakMb();
        var measured = Measure(setting, batch);
        double gpuPeakMb = gpuMemory?.TakePeakMb() ?? double.NaN;
        if (setting.Name == "ar") arTokensPerSecond = measured.TokensPerSecond;
        double? ratio = arTokensPerSecond is { } ar && setting.Name != "ar" ? measured.TokensPerSecond / ar : null;
        Console.WriteLine($"{setting.Name,-14} {batch,5} {measured.ForwardCalls,6} {measured.TokensPerStep,8:F2} {measured.FullStepMs,9:F2} {measured.CachedStepMs,9:F2} " +
                          $"{measured.Seconds,8:F3} {measured.TokensPerSecond,9:F1} {(ratio is { } r ? $"{r:F2}x" : ""),6} {measured.PeakHostMb,8:F0} {gpuPeakMb,8:F0}");
        rows.Add(new()
        {
            ["setting"] = setting.Name, ["batch"] = batch, ["forward_calls"] = measured.ForwardCalls, ["tokens_per_step"] = measured.TokensPerStep,
            ["full_step_ms"] = measured.FullStepMs, ["cached_step_ms"] = measured.CachedStepMs, ["seconds"] = measured.Seconds,
            ["tokens_per_second"] = measured.TokensPerSecond, ["vs_ar"] = ratio ?? double.NaN, ["peak_host_mb"] = measured.PeakHostMb,
            ["peak_gpu_mb"] = gpuPeakMb,
        });
        // Rewritten after every row, so a run cut short by a time limit still leaves what it measured.
        if (options.JsonPath is { } jsonPath) WriteReport(jsonPath);
    }
}
if (options.JsonPath is not null) Console.WriteLine($"wrote {options.JsonPath}");
return 0;

void WriteReport(string path)
{
    var report = new Dictionary<string, object>
    {
        ["date"] = DateTime.UtcNow.ToString("u"), ["machine"] = $"{Environment.MachineName}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores",
        ["device"] = device.ToString(), ["device_name"] = device.type == DeviceType.CUDA ? GpuName() : "cpu", ["dtype"] = dtype.ToString(), ["model"] = options.Model,
        ["prompt_length"] = promptText?.Length ?? options.PromptLength, ["prompt_text"] = options.PromptText ?? "",
        ["gen_length"] = options.GenLength, ["block_length"] = options.BlockLength, ["runs"] = options.Runs, ["warmup"] = options.Warmup,
        ["warmup_gen_length"] = options.WarmupGenLength ?? options.GenLength, ["threads"] = get_num_threads(), ["rows"] = rows,
    };
    File.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
}

static string GpuName()
{
    try
    {
        using var process = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader") { RedirectStandardOutput = true, UseShellExecute = false });
        return process?.StandardOutput.ReadToEnd().Trim().Split('\n')[0] ?? "";
    }
    catch (Exception)
    {
        return "";
    }
}

Measured Measure(Setting setting, int batch)
{
    var random = new Random(1234);
    var prompts = Enumerable.Range(0, batch).Select(_ => promptText ?? Enumerable.Range(0, options.PromptLength)
        .Select(_ => random.Next(0, Math.Min(model.Config.VocabSize, model.Config.MaskTokenId))).ToArray()).ToArray();
    var seconds = new List<double>();
    var full = new List<double>();
    var cached = new List<double>();
    int calls = 0;
    for (int run = 0; run < options.Warmup + options.Runs; run++)
    {
        bool measuring = run >= options.Warmup;
        // A shorter warm-up (--warmup-gen) still compiles every kernel and fills the allocator; only measured runs count.
        int gen = measuring ? options.GenLength : options.WarmupGenLength ?? options.GenLength;
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        if (setting.Name == "ar")
        {
            int token = 0;
            var ar = new AutoregressiveGenerator(model)
            {
                OnToken = elapsed => { if (measuring) (token++ == 0 ? full : cached).Add(elapsed.TotalMilliseconds); },
            };
            ar.Generate(prompts, gen);
            if (measuring) calls = gen;
        }
        else
        {
            var generator = new DiffusionGenerator(model);
            var requests = prompts.Select(p => new GenerationRequest
            {
                PromptTokens = p, MaxNewTokens = gen,
                Options = setting.Options with
                {
                    BlockLength = options.BlockLength, StopAtEndToken = false, Seed = 1,
                    Steps = setting.Options.Steps is { } steps ? Math.Max(1, steps * gen / options.GenLength) : null,
                },
            }).ToList();
            int lastBlockStep = -1;
            var results = generator.GenerateBatch(requests, step =>
            {
                if (step.Row != 0) return;
                var now = clock.Elapsed;
                if (measuring)
                {
                    // The first step of a block is a full forward (it refills the cache); the others are cached steps.
                    bool blockStart = step.Block != lastBlockStep;
                    (blockStart || setting.Options.Cache == CacheMode.None ? full : cached).Add((now - last).TotalMilliseconds);
                }
                lastBlockStep = step.Block;
                last = now;
            });
            if (measuring) calls = results[0].ForwardCalls;
        }
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
        if (measuring) seconds.Add(clock.Elapsed.TotalSeconds);
    }
    double median = Median(seconds);
    return new Measured(calls, (double)options.GenLength / calls, Median(full), Median(cached), median,
        batch * options.GenLength / median, Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0);
}

static double Median(List<double> values)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static int[] EncodePrompt(BenchOptions options, string text)
{
    string folder = options.Model == "embedded" ? EmbeddedModel.Locate() : Directory.Exists(options.Model) ? options.Model
        : throw new ArgumentException("--prompt-text needs a model with a tokenizer: a checkpoint folder or 'embedded'.");
    var tokenizer = Mercury.AI.Engine.Tokenization.HuggingFaceTokenizer.FromFile(Path.Combine(folder, "tokenizer.json"));
    bool chatMl = tokenizer.Encode("<|im_start|>").Count == 1;
    return [.. tokenizer.Encode(chatMl ? $"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n" : text)];
}

static IDiffusionLanguageModel LoadModel(BenchOptions options, Device device, ScalarType dtype)
{
    if (options.Model == "embedded") return ModelLoader.Load(EmbeddedModel.Locate(), new ModelLoadOptions { Device = device, DType = dtype });
    if (Directory.Exists(options.Model)) return ModelLoader.Load(options.Model, new ModelLoadOptions { Device = device, DType = dtype });
    var config = ModelShapes.Config(options.Model) with { MaxSequenceLength = Math.Max(1024, options.PromptLength + options.GenLength) };
    var model = ModelLoader.Create(config, new ModelBuildOptions { Device = device, DType = dtype });
    using var noGrad = no_grad();
    var generator = new Generator(42, device);
    foreach (var (name, parameter) in model.named_parameters())
    {
        if (name.EndsWith("norm.weight") || name.EndsWith("ln_f.weight") || name.EndsWith("layernorm.weight")) parameter.fill_(1);
        else if (name.EndsWith(".bias")) parameter.zero_();
        else parameter.normal_(0, 0.02, generator);
    }
    return model;
}

internal sealed record Measured(int ForwardCalls, double TokensPerStep, double FullStepMs, double CachedStepMs, double Seconds, double TokensPerSecond, double PeakHostMb);

/// <summary>The sampler settings the issue's tables compare; each family decodes with its own reference policies.</summary>
internal sealed record Setting(string Name, DiffusionOptions Options)
{
    public static IEnumerable<Setting> All(int genLength, ModelArchitecture architecture)
    {
        bool dream = architecture == ModelArchitecture.Dream;
        UnmaskingPolicy Scheduled() => dream ? new DreamRemasking() : new LowConfidenceRemasking();
        UnmaskingPolicy Threshold() => dream ? new DreamConfidenceThreshold(0.9) : new ConfidenceThresholdRemasking(0.9);
        return
        [
            new("ar", new DiffusionOptions()),
            new("nocache-1", new DiffusionOptions { Steps = genLength, Policy = Scheduled() }),
            new("dual-1", new DiffusionOptions { Steps = genLength, Policy = Scheduled(), Cache = CacheMode.Dual }),
            new("dual-thr0.9", new DiffusionOptions { Steps = genLength, Policy = Threshold(), Cache = CacheMode.Dual }),
            new("dual-4", new DiffusionOptions { Steps = Math.Max(1, genLength / 4), Policy = Scheduled(), Cache = CacheMode.Dual }),
        ];
    }
}

internal sealed record BenchOptions
{
    public string Model { get; init; } = "llada-512x8";
    public string Device { get; init; } = "cpu";
    public ScalarType? DType { get; init; }
    public int PromptLength { get; init; } = 256;
    public string? PromptText { get; init; }
    public int GenLength { get; init; } = 256;
    public int BlockLength { get; init; } = 32;
    public int[] Batches { get; init; } = [1, 4, 16];
    public int Runs { get; init; } = 3;
    public int Warmup { get; init; } = 1;
    public int? WarmupGenLength { get; init; }
    public HashSet<string>? Settings { get; init; }
    public string? JsonPath { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            o = args[i] switch
            {
                "--model" => o with { Model = Next() },
                "--device" => o with { Device = Next() },
                "--dtype" => o with { DType = Next() switch { "f32" => ScalarType.Float32, "bf16" => ScalarType.BFloat16, "f16" => ScalarType.Float16, var d => throw new ArgumentException($"Unknown dtype {d}.") } },
                "--prompt" => o with { PromptLength = int.Parse(Next()) },
                "--prompt-text" => o with { PromptText = Next() },
                "--gen" => o with { GenLength = int.Parse(Next()) },
                "--block" => o with { BlockLength = int.Parse(Next()) },
                "--batch" => o with { Batches = Next().Split(',').Select(int.Parse).ToArray() },
                "--runs" => o with { Runs = int.Parse(Next()) },
                "--warmup" => o with { Warmup = int.Parse(Next()) },
                "--warmup-gen" => o with { WarmupGenLength = int.Parse(Next()) },
                "--settings" => o with { Settings = Next().Split(',').ToHashSet() },
                "--json" => o with { JsonPath = Next() },
                "--threads" => SetThreads(o, int.Parse(Next())),
                "--smoke" => o with { Model = "llada-tiny", PromptLength = 8, GenLength = 16, BlockLength = 8, Batches = [1, 2], Runs = 1, Warmup = 0 },
                var unknown => throw new ArgumentException($"Unknown option '{unknown}'. See --help."),
            };
        }
        return o;
    }

    private static BenchOptions SetThreads(BenchOptions o, int threads)
    {
        set_num_threads(threads);
        return o;
    }
}
