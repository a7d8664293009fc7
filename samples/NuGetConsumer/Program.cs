// The packaged client, restored from ./nuget:
//   dotnet pack -o nuget && dotnet run --project samples/NuGetConsumer -- [model-folder] ["question"]
using Mercury.AI.Chat;
using Microsoft.Extensions.AI;

using var client = DiffusionChatClient.Load(new DiffusionChatClientOptions { ModelPath = args.FirstOrDefault(), Device = "auto" });
Console.WriteLine($"Mercury.AI.Chat {typeof(DiffusionChatClient).Assembly.GetName().Version} serving {client.ModelId}");
await foreach (var update in client.GetStreamingResponseAsync(args.Skip(1).FirstOrDefault() ?? "Say hello.", new ChatOptions { MaxOutputTokens = 48 }))
    Console.Write(update.Text);
Console.WriteLine();
