using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Mercury.AI.Chat.Tests.Ecosystem;

public class AgentFrameworkTests
{
    [Fact]
    public async Task Chat_client_agent_runs_with_instructions_and_a_tool()
    {
        var calls = new List<int>();
        var backend = new ScriptedBackend(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? "The answer is 42."
            : "<tool_call>{\"name\": \"multiply\", \"arguments\": {\"a\": 6, \"b\": 7}}</tool_call>");
        var multiply = AIFunctionFactory.Create((int a, int b) => { calls.Add(a * b); return a * b; }, "multiply", "Multiplies two numbers.");
        using var client = ScriptedBackend.Client(backend);
        AIAgent agent = new ChatClientAgent(client, instructions: "You are a calculator.", name: "calc", tools: [multiply]);

        var response = await agent.RunAsync("What is 6 times 7?");

        Assert.Equal("The answer is 42.", response.Text);
        Assert.Equal([42], calls);
        var prompts = backend.Prompts.ToArray();
        Assert.StartsWith("<|im_start|>system\nYou are a calculator.", prompts[0]);
        Assert.Contains("<tool_response>\n42\n</tool_response>", prompts[1]);
    }

    [Fact]
    public async Task AsAIAgent_streams_the_answer()
    {
        using var client = ScriptedBackend.Client(_ => "Hello from a diffusion agent.");
        var agent = client.AsAIAgent(instructions: "Greet.");
        var text = string.Concat(await agent.RunStreamingAsync("Hi").Select(u => u.Text).ToListAsync());
        Assert.Equal("Hello from a diffusion agent.", text);
    }
}
