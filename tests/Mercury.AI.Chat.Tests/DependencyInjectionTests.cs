using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mercury.AI.Chat.Tests;

public class DependencyInjectionTests
{
    [Fact]
    public async Task AddDiffusionChatClient_registers_a_singleton_pipeline_that_loads_the_model_once()
    {
        var services = new ServiceCollection();
        var options = RealModel.Options("llada-tiny");
        services.AddDiffusionChatClient(o =>
        {
            o.ModelPath = options.ModelPath;
            o.TokenizerPath = options.TokenizerPath;
            o.Device = "cpu";
            o.ModelId = "tiny";
        }).UseFunctionInvocation().UseOpenTelemetry();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        Assert.Same(client, provider.GetRequiredService<IChatClient>());
        Assert.NotNull(client.GetService<FunctionInvokingChatClient>());
        Assert.NotNull(client.GetService<OpenTelemetryChatClient>());
        var diffusion = client.GetService<DiffusionChatClient>();
        Assert.NotNull(diffusion);
        Assert.NotNull(client.GetService<Engine.Decoding.DiffusionGenerator>());
        Assert.Equal(Engine.Models.ModelArchitecture.LLaDA, client.GetService<Engine.Models.IDiffusionLanguageModel>()!.Config.Architecture);
        Assert.Equal("tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        var response = await client.GetResponseAsync(RealModel.Prompts(1)[0], new ChatOptions { MaxOutputTokens = 4 });
        Assert.Equal("tiny", response.ModelId);
    }

    [Fact]
    public async Task Keyed_registration_resolves_by_key()
    {
        var services = new ServiceCollection();
        var options = RealModel.Options("dream-tiny");
        services.AddKeyedDiffusionChatClient("dream", o => { o.ModelPath = options.ModelPath; o.TokenizerPath = options.TokenizerPath; o.Device = "cpu"; });
        await using var provider = services.BuildServiceProvider();
        Assert.Null(provider.GetService<IChatClient>());
        var client = provider.GetRequiredKeyedService<IChatClient>("dream");
        Assert.Equal("dream-tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public void Options_bind_from_a_configuration_section_and_the_callback_runs_after()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mercury:ModelPath"] = "/models/dream",
            ["Mercury:Device"] = "cuda:1",
            ["Mercury:Template"] = "Dream",
            ["Mercury:QueueCapacity"] = "16",
            ["Mercury:Diffusion:Steps"] = "64",
            ["Mercury:Diffusion:Algorithm"] = "ConfidenceThreshold",
            ["Mercury:Diffusion:Threshold"] = "0.85",
            ["Mercury:Diffusion:Cache"] = "Dual",
        }).Build();

        var options = DiffusionChatClientServiceCollectionExtensions.BuildDiffusionChatClientOptions(configuration.GetSection("Mercury"), o => o.QueueCapacity = 32);

        Assert.Equal("/models/dream", options.ModelPath);
        Assert.Equal("cuda:1", options.Device);
        Assert.Equal(Mercury.AI.Chat.Templates.ChatTemplateKind.Dream, options.Template);
        Assert.Equal(32, options.QueueCapacity);
        Assert.Equal(64, options.Diffusion.Steps);
        Assert.Equal(DiffusionAlgorithm.ConfidenceThreshold, options.Diffusion.Algorithm);
        Assert.Equal(0.85, options.Diffusion.Threshold);
        Assert.Equal(Engine.Decoding.CacheMode.Dual, options.Diffusion.Cache);
    }

    [Fact]
    public async Task Registration_from_configuration_serves_requests()
    {
        var options = RealModel.Options("llada-tiny");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Chat:ModelPath"] = options.ModelPath, ["Chat:TokenizerPath"] = options.TokenizerPath, ["Chat:Device"] = "cpu", ["Chat:DefaultMaxOutputTokens"] = "3",
        }).Build();
        var services = new ServiceCollection();
        services.AddDiffusionChatClient(configuration.GetSection("Chat"));
        await using var provider = services.BuildServiceProvider();
        var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync(RealModel.Prompts(1)[0]);
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 0, 3);
    }
}
