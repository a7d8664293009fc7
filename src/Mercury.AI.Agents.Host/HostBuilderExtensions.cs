using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Mercury.AI.Agents.Host;

public static class HostBuilderExtensions
{
    /// <summary>
    /// The ONE place where the host's model is chosen. Configuration key <c>Agents:ChatClient</c>:
    /// <list type="bullet">
    /// <item><c>replay:&lt;file.json&gt;</c> — scripted replies (<see cref="ReplayChatClient"/>), for demos and tests;</item>
    /// <item>unset — the default model.</item>
    /// </list>
    /// An <see cref="IChatClient"/> registered before this call (any provider) wins.
    /// </summary>
    public static IServiceCollection AddDefaultChatClient(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IChatClient))) return services;
        string? choice = configuration["Agents:ChatClient"];
        if (choice is not null && choice.StartsWith("replay:", StringComparison.Ordinal))
        {
            string path = choice["replay:".Length..];
            services.AddSingleton<IChatClient>(_ => ReplayChatClient.FromFile(path));
            return services;
        }

        // ================= INTEGRATION POINT: the in-process diffusion model =================
        // Replace the throw below with the embedded default model, e.g.
        //     services.AddDiffusionChatClient(o => o.ModelPath = configuration["Agents:ModelPath"] ?? EmbeddedModel.Locate());
        // (projects Mercury.AI.Chat and Mercury.AI.Engine; not referenced yet).
        services.AddSingleton<IChatClient>(_ => throw new InvalidOperationException(
            "No chat client is configured. The default (in-process diffusion model) is not wired in yet; " +
            "set Agents:ChatClient=replay:<file.json> (--chat replay:<file.json>) or register an IChatClient before AddDefaultChatClient."));
        // =====================================================================================
        return services;
    }
}
