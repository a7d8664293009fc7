// Loads a checkpoint folder and prints a summary of one forward pass: the smallest end-to-end check that the
// TorchSharp runtime, the safetensors loader and the architecture agree.
//   dotnet run --project samples/ForwardPass -- tests/fixtures/llada-tiny [--device cpu|cuda|auto] [--dtype f32|bf16]
using Mercury.AI.Engine.Models;
using Mercury.AI.Engine.Runtime;
using static TorchSharp.torch;

string folder = args.FirstOrDefault(a => !a.StartsWith("--")) ?? Path.Combine("tests", "fixtures", "llada-tiny");
string device = Option("--device") ?? "cpu";
string? dtype = Option("--dtype");

var model = ModelLoader.Load(folder, new ModelLoadOptions
{
    Device = TorchRuntime.ResolveDevice(device),
    DType = dtype switch { null => null, "f32" => ScalarType.Float32, "bf16" => ScalarType.BFloat16, "f16" => ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown --dtype '{dtype}' (f32, bf16, f16).") },
});
var c = model.Config;
Console.WriteLine($"{c.Architecture} from {Path.GetFullPath(folder)}: {c.NumLayers} layers, d={c.HiddenSize}, heads {c.NumHeads}/{c.NumKeyValueHeads}, vocab {c.VocabSize}, {model.DType} on {model.Device}");

// A canvas of a few prompt tokens followed by masks, the shape every diffusion step sees.
long[] ids = [.. Enumerable.Range(1, 8).Select(i => (long)(i * 37 % c.VocabSize)), .. Enumerable.Repeat((long)c.MaskTokenId, 8)];
using var input = tensor(ids, device: model.Device).view(1, -1);
using var logits = model.Forward(input);
using var probs = logits.softmax(-1);
var (top, arg) = probs.max(-1);
Console.WriteLine($"logits [{string.Join(", ", logits.shape)}]  mean {logits.mean().item<float>():F5}  std {logits.std().item<float>():F5}  max |x| {logits.abs().max().item<float>():F5}");
Console.WriteLine("position  input  argmax  p(argmax)");
var argmax = arg.cpu().data<long>().ToArray();
var p = top.cpu().data<float>().ToArray();
for (int i = 0; i < ids.Length; i++)
    Console.WriteLine($"{i,8}  {(ids[i] == c.MaskTokenId ? "[MASK]" : ids[i].ToString()),5}  {argmax[i],6}  {p[i]:F4}");

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
