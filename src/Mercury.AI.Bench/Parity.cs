using Mercury.AI.Engine.Checkpoints;
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Runtime;
using static TorchSharp.torch;

namespace Mercury.AI.Bench;

/// <summary>
/// <c>mercury-bench parity --fixtures DIR --device cuda</c>: the reference-logit parity check of the test suite, on
/// any device and dtype, for machines that run the published bench but not the tests (the GPU machine).
/// </summary>
internal static class Parity
{
    public static int Run(string[] args)
    {
        string fixtures = Arg(args, "--fixtures") ?? throw new ArgumentException("parity needs --fixtures <folder with llada-tiny and dream-tiny>.");
        var device = TorchRuntime.ResolveDevice(Arg(args, "--device") ?? "cpu");
        bool failed = false;
        foreach (var (fixture, weights, key) in new[]
        {
            ("llada-tiny", (string?)null, "logits"), ("llada-tiny", "model.bf16.safetensors", "logits_from_bf16_weights"), ("dream-tiny", null, "logits"),
        })
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            {
                using var model = ModelLoader.Load(Path.Combine(fixtures, fixture), new ModelLoadOptions { Device = device, DType = dtype, WeightsFileName = weights });
                using var golden = SafeTensorsFile.Open(Path.Combine(fixtures, fixture, "golden_logits.safetensors"));
                using var ids = golden.Read("input_ids").to(device);
                using var expected = golden.Read(key);
                using var logits = model.Forward(ids).cpu();
                double diff = (logits - expected).abs().max().item<float>();
                double scale = expected.abs().max().item<float>();
                bool ok = diff < Tolerance(dtype, scale);
                failed |= !ok;
                Console.WriteLine($"parity {fixture,-10} {weights ?? "model.safetensors",-24} {dtype,-9} on {device}: max |diff| {diff:E2} " +
                    $"(max |logit| {scale:F2}, bound {Tolerance(dtype, scale):E1}) {(ok ? "ok" : "FAIL")}");
            }
        return failed ? 1 : 0;
    }

    /// <summary>f32 must match the reference to 1e-4. bf16 carries 8 significant bits through every layer: its logits
    /// must stay within 2 % of the largest reference logit (the CPU run gives 0.6–0.7 %, docs/benchmarks.md).</summary>
    public static double Tolerance(ScalarType dtype, double scale) => dtype == ScalarType.Float32 ? 1e-4 : 0.02 * scale;

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
