// Semantic Kernel over a diffusion model: a Kernel with a plugin, and auto function calling through
// DiffusionChatClient (tools described in the prompt, <tool_call> blocks parsed, results rendered back).
//   dotnet run --project samples/SemanticKernelPlugin -- [model-folder] [--tokenizer PATH] [--device cuda] ["question"]
using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

var options = SampleArgs.Parse(args.Where(a => !a.Contains(' ')).ToArray(), out _);
string question = args.FirstOrDefault(a => a.Contains(' ')) ?? "What time is it in UTC? Use the clock tool.";

// The registration helper (Mercury.AI.Chat.SemanticKernel): the diffusion client, wrapped so SK invokes the kernel
// functions the model calls.
var builder = Kernel.CreateBuilder().AddDiffusionChatClient(o =>
{
    o.ModelPath = options.ModelPath;
    o.TokenizerPath = options.TokenizerPath;
    o.Device = options.Device;
    o.DefaultMaxOutputTokens = options.DefaultMaxOutputTokens;
});
builder.Plugins.AddFromType<ClockPlugin>("Clock");
var kernel = builder.Build();

var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
Console.WriteLine(await kernel.InvokePromptAsync(question, new KernelArguments(settings)));

internal sealed class ClockPlugin
{
    [KernelFunction("utc_now"), Description("Returns the current UTC time (ISO 8601).")]
    public string UtcNow()
    {
        Console.Error.WriteLine("[plugin] Clock.utc_now called");
        return DateTimeOffset.UtcNow.ToString("O");
    }
}
