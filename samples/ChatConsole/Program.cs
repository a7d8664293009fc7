// A console chat over a diffusion model: streams each answer as its blocks become stable.
//   dotnet run --project samples/ChatConsole -- [model-folder] [--tokenizer PATH] [--device cuda] [--snapshots]
// --snapshots also draws the denoising canvas (░ = still masked) as it fills in.
using Mercury.AI.Chat;
using Microsoft.Extensions.AI;

var options = SampleArgs.Parse(args, out var flags);
using var client = DiffusionChatClient.Load(options);
Console.WriteLine($"{client.ModelId} ({client.Template.Name} template). Empty line to quit.");

var history = new List<ChatMessage>();
var chatOptions = new ChatOptions();
if (flags.Contains("--snapshots")) chatOptions.AdditionalProperties = new() { [DiffusionChatOptions.StreamSnapshotsKey] = true };

while (Console.ReadLine() is { Length: > 0 } line)
{
    history.Add(new ChatMessage(ChatRole.User, line));
    var updates = new List<ChatResponseUpdate>();
    await foreach (var update in client.GetStreamingResponseAsync(history, chatOptions))
    {
        updates.Add(update);
        if (update.AdditionalProperties?.TryGetValue(DiffusionChatOptions.SnapshotKey, out object? s) == true && s is DiffusionSnapshot snapshot)
            Console.Error.WriteLine($"[step {snapshot.Step}] {snapshot.Text.ReplaceLineEndings(" ")}");
        Console.Write(update.Text);
    }
    var response = updates.ToChatResponse();
    Console.WriteLine($"\n  ({response.Usage?.OutputTokenCount} tokens, {response.FinishReason})");
    history.AddMessages(response);
}
