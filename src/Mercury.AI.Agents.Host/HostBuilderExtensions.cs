using Mercury.AI.Engine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Agents.Host;

public static class HostBuilderExtensions
{
    /// <summary>
    /// The ONE place where the host's model is chosen. Configuration key <c>Agents:ChatClient</c>:
    /// <list type="bullet">
    /// <item><c>replay:&lt;file.json&gt;[,&lt;file.json&gt;...]</c> — scripted replies and tool calls (<see cref="ReplayChatClient"/>), for demos and tests;</item>
    /// <item><c>openai:&lt;base-url&gt;[,&lt;base-url&gt;...]</c> — an OpenAI-compatible endpoint, or several replicas in
    /// round robin with failover (<see cref="Remote.OpenAIChat"/>); model <c>Agents:ChatModel</c>;</item>
    /// <item>unset — the in-process diffusion model: <c>Agents:ModelPath</c> or the embedded default
    /// (<see cref="EmbeddedModel"/>), options from the <c>Mercury</c> section.</item>
    /// </list>
    /// An <see cref="IChatClient"/> registered before this call (any provider) wins.
    /// </summary>
    public static IServiceCollection AddDefaultChatClient(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IChatClient))) return services;
        string? choice = configuration["Agents:ChatClient"];
        if (choice is not null && choice.StartsWith("replay:", StringComparison.Ordinal))
        {
            var paths = choice["replay:".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            services.AddSingleton<IChatClient>(_ => ReplayChatClient.FromFiles(paths));
            return services;
        }

        if (choice is not null && choice.StartsWith(Remote.OpenAIChat.Prefix, StringComparison.Ordinal))
        {
            var uris = Remote.EndpointPool.ParseList(choice[Remote.OpenAIChat.Prefix.Length..]);
            string model = configuration["Agents:ChatModel"]
                ?? throw new InvalidOperationException("Agents:ChatModel (--chat-model) names the remote model; the CLI discovers it from GET /models.");
            services.AddSingleton(sp => new Remote.EndpointPool(uris, new Remote.EndpointPoolOptions { ApiKey = Remote.OpenAIChat.ApiKey },
                sp.GetService<ILoggerFactory>()?.CreateLogger<Remote.EndpointPool>()));
            services.AddSingleton(sp => Remote.OpenAIChat.Create(sp.GetRequiredService<Remote.EndpointPool>(), model, sp.GetService<ILoggerFactory>()));
            return services;
        }

        // The in-process diffusion model: Agents:ModelPath (a LLaDA/Dream checkpoint folder), else the embedded default;
        // section "Mercury" binds the rest of DiffusionChatClientOptions (device, diffusion knobs, batching).
        services.AddDiffusionChatClient(configuration.GetSection("Mercury"), o =>
        {
            o.ModelPath = configuration["Agents:ModelPath"] ?? o.ModelPath ?? EmbeddedModel.Locate();
            o.Device = configuration["Agents:Device"] ?? o.Device;
        });
        return services;
    }
}
