using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Mercury.AI.Chat.Tests.Ecosystem;

public class SemanticKernelTests
{
    private sealed class WeatherPlugin
    {
        public List<string> Cities { get; } = [];

        [KernelFunction("get_weather"), Description("Gets the weather for a city.")]
        public string GetWeather([Description("The city")] string city)
        {
            Cities.Add(city);
            return $"Sunny in {city}";
        }
    }

    [Fact]
    public async Task Kernel_prompt_with_auto_function_calling_invokes_the_plugin_through_this_client()
    {
        var backend = new ScriptedBackend(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? "The weather in Paris is sunny."
            : "<tool_call>\n{\"name\": \"Weather_get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
        var plugin = new WeatherPlugin();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddChatClient(ScriptedBackend.Client(backend)).UseKernelFunctionInvocation();
        builder.Plugins.AddFromObject(plugin, "Weather");
        var kernel = builder.Build();

        var result = await kernel.InvokePromptAsync("What is the weather in Paris?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        Assert.Equal("The weather in Paris is sunny.", result.ToString());
        Assert.Equal(["Paris"], plugin.Cities);
        var prompts = backend.Prompts.ToArray();
        Assert.Contains("\"name\":\"Weather_get_weather\"", prompts[0]);
        Assert.Contains("<tool_response>\nSunny in Paris\n</tool_response>", prompts[1]);
    }

    [Fact]
    public async Task Kernel_builder_helper_registers_the_client_with_kernel_function_invocation()
    {
        var backend = new ScriptedBackend(prompt => prompt.Contains("<tool_response>", StringComparison.Ordinal)
            ? "Done."
            : "<tool_call>\n{\"name\": \"Weather_get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>");
        var plugin = new WeatherPlugin();
        var builder = Kernel.CreateBuilder().AddDiffusionChatClient(ScriptedBackend.Client(backend));
        builder.Plugins.AddFromObject(plugin, "Weather");

        var result = await builder.Build().InvokePromptAsync("Weather in Oslo?",
            new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        Assert.Equal("Done.", result.ToString());
        Assert.Equal(["Oslo"], plugin.Cities);
    }

    [Fact]
    public async Task Kernel_resolves_IChatCompletionService_and_it_answers_through_this_client()
    {
        var kernel = Kernel.CreateBuilder().AddDiffusionChatClient(ScriptedBackend.Client(_ => "Hello from diffusion.")).Build();

        var service = kernel.GetRequiredService<IChatCompletionService>();
        var reply = await service.GetChatMessageContentAsync(new ChatHistory("Hi"), kernel: kernel);

        Assert.Equal("Hello from diffusion.", reply.Content);
        Assert.Equal(AuthorRole.Assistant, reply.Role);
    }

    [Fact]
    public async Task Keyed_registration_resolves_IChatCompletionService_by_its_service_id()
    {
        var builder = Kernel.CreateBuilder()
            .AddDiffusionChatClient(ScriptedBackend.Client(_ => "first"), serviceId: "a")
            .AddDiffusionChatClient(ScriptedBackend.Client(_ => "second"), serviceId: "b");
        var kernel = builder.Build();

        var b = kernel.GetRequiredService<IChatCompletionService>("b");
        Assert.Equal("second", (await b.GetChatMessageContentAsync(new ChatHistory("Hi"))).Content);
        Assert.Equal("first", (await kernel.GetRequiredService<IChatCompletionService>("a").GetChatMessageContentAsync(new ChatHistory("Hi"))).Content);
        Assert.Equal("second", (await kernel.GetRequiredService<IChatClient>("b").GetResponseAsync("Hi")).Text);
    }
}
