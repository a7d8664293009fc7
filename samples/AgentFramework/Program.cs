// A Microsoft Agent Framework agent on a diffusion model, with a tool and a multi-turn session.
//   dotnet run --project samples/AgentFramework -- [model-folder] [--tokenizer PATH] [--device cuda]
using Mercury.AI.Chat;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

var options = SampleArgs.Parse(args, out _);
using var client = DiffusionChatClient.Load(options);
var add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers.");
AIAgent agent = client.AsAIAgent(instructions: "You are a concise assistant. Use the add tool for arithmetic.", name: "diffusion-agent", tools: [add]);

var session = await agent.CreateSessionAsync();
foreach (string question in new[] { "What is 17 + 25?", "And plus 8?" })
{
    Console.WriteLine($"> {question}");
    Console.WriteLine(await agent.RunAsync(question, session));
}
