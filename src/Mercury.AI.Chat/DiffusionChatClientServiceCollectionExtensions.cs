using Mercury.AI.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers a <see cref="DiffusionChatClient"/> as the <see cref="IChatClient"/> (a singleton by default, so the
/// model loads once, on first use) and returns the <see cref="ChatClientBuilder"/> for the pipeline:
/// <code>services.AddDiffusionChatClient(o => o.ModelPath = "/models/Dream-7B").UseFunctionInvocation().UseOpenTelemetry();</code>
/// The diffusion client itself is reachable from the pipeline with <c>chatClient.GetService&lt;DiffusionChatClient&gt;()</c>
/// (e.g. for infilling).
/// </summary>
public static class DiffusionChatClientServiceCollectionExtensions
{
    public static ChatClientBuilder AddDiffusionChatClient(this IServiceCollection services,
        Action<DiffusionChatClientOptions>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddChatClient(sp => Create(sp, null, configure), lifetime);
    }

    /// <summary>Binds the options from a configuration section (e.g. <c>configuration.GetSection("Mercury")</c>), then applies <paramref name="configure"/>.</summary>
    public static ChatClientBuilder AddDiffusionChatClient(this IServiceCollection services, IConfiguration configuration,
        Action<DiffusionChatClientOptions>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddChatClient(sp => Create(sp, configuration, configure), lifetime);
    }

    public static ChatClientBuilder AddKeyedDiffusionChatClient(this IServiceCollection services, object serviceKey,
        Action<DiffusionChatClientOptions>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddKeyedChatClient(serviceKey, sp => Create(sp, null, configure), lifetime);
    }

    public static ChatClientBuilder AddKeyedDiffusionChatClient(this IServiceCollection services, object serviceKey, IConfiguration configuration,
        Action<DiffusionChatClientOptions>? configure = null, ServiceLifetime lifetime = ServiceLifetime.Singleton)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddKeyedChatClient(serviceKey, sp => Create(sp, configuration, configure), lifetime);
    }

    /// <summary>The options a registration would use (configuration first, then the callback); exposed for tests and tools.</summary>
    public static DiffusionChatClientOptions BuildDiffusionChatClientOptions(IConfiguration? configuration, Action<DiffusionChatClientOptions>? configure)
    {
        var options = new DiffusionChatClientOptions();
        configuration?.Bind(options);
        configure?.Invoke(options);
        return options;
    }

    private static DiffusionChatClient Create(IServiceProvider services, IConfiguration? configuration, Action<DiffusionChatClientOptions>? configure) =>
        DiffusionChatClient.Load(BuildDiffusionChatClientOptions(configuration, configure), services.GetService<ILoggerFactory>());
}
