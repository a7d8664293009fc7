// The packaged client in an app of its own: `services.AddDiffusionChatClient()` with no model path serves the embedded
// model that the Mercury.AI.Models.CoderTiny package (a dependency of Mercury.AI.Chat) copied beside the app.
//   dotnet pack && dotnet run --project samples/NuGetConsumer -- ["question"]
using Mercury.AI.Chat;
using Mercury.AI.Engine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddDiffusionChatClient();
await using var provider = services.BuildServiceProvider();
var client = provider.GetRequiredService<IChatClient>();

string question = args.FirstOrDefault() ?? "Write a Python function count_vowels(text) that returns the number of vowels in text.";
Console.WriteLine($"Mercury.AI.Chat {typeof(DiffusionChatClient).Assembly.GetName().Version}, model folder: {EmbeddedModel.Locate()}");
var response = await client.GetResponseAsync(question, new ChatOptions { MaxOutputTokens = 64 });
Console.WriteLine($"model: {response.ModelId}, output tokens: {response.Usage?.OutputTokenCount}, finish: {response.FinishReason}");
Console.WriteLine("answer:");
Console.WriteLine(response.Text);
