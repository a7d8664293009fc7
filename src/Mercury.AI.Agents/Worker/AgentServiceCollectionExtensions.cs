using Mercury.AI.Agents.Agent;
using Mercury.AI.Agents.Runners;
using Mercury.AI.Agents.Sandbox;
using Mercury.AI.Agents.Storage;
using Mercury.AI.Agents.Worker;
using Mercury.AI.Agents.Workspaces;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// The job store, sandbox, runners, coder and loop, and the workspace agent with its test runner. The model is whatever <see cref="IChatClient"/> is registered.
    /// Resolving <see cref="ISandbox"/> throws <see cref="SandboxUnavailableException"/> when bubblewrap is missing and
    /// the unsafe mode is off.
    /// </summary>
    public static IServiceCollection AddAgentCore(this IServiceCollection services, AgentHostOptions options, SandboxOptions? sandbox = null, HtmlRunnerOptions? html = null)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton(sandbox ?? new SandboxOptions());
        services.TryAddSingleton(html ?? new HtmlRunnerOptions());
        services.TryAddSingleton<IJobStore>(sp =>
        {
            var o = sp.GetRequiredService<AgentHostOptions>();
            return new SqliteJobStore(o.DatabasePath, limits: o.StoreLimits);
        });
        services.TryAddSingleton<AgentHostHealth>();
        services.TryAddSingleton<ISandbox>(sp => SandboxFactory.Create(sp.GetRequiredService<SandboxOptions>()));
        services.TryAddSingleton(sp => LanguageRunners.CreateDefault(sp.GetRequiredService<ISandbox>(), sp.GetRequiredService<HtmlRunnerOptions>()));
        services.TryAddSingleton<ICoder>(sp => new AgentCoder(sp.GetRequiredService<IChatClient>(),
            options.PromptStyle == PromptStyle.Compact ? Prompts.CompactInstructions : null));
        services.TryAddSingleton(sp => new AgentLoop(sp.GetRequiredService<ICoder>(), sp.GetRequiredService<LanguageRunners>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<AgentLoop>(), options.PromptStyle, options.RestartTemperature));
        services.TryAddSingleton(new WorkspaceTestOptions());
        services.TryAddSingleton(sp => new WorkspaceTestRunner(sp.GetRequiredService<ISandbox>(), sp.GetRequiredService<WorkspaceTestOptions>()));
        services.TryAddSingleton(sp => new WorkspaceAgent(sp.GetRequiredService<IChatClient>(), sp.GetRequiredService<WorkspaceTestRunner>(),
            new WorkspaceAgentOptions { MaxTokensPerTurn = options.WorkspaceTokensPerTurn }, sp.GetService<ILoggerFactory>()?.CreateLogger<WorkspaceAgent>()));
        services.TryAddSingleton<JobWorker>();
        return services;
    }

    /// <summary><see cref="AddAgentCore"/> plus the background services that run jobs and apply retention.</summary>
    public static IServiceCollection AddAgentWorkers(this IServiceCollection services, AgentHostOptions options, SandboxOptions? sandbox = null, HtmlRunnerOptions? html = null)
    {
        services.AddAgentCore(options, sandbox, html);
        services.AddHostedService<JobProcessingService>();
        services.AddHostedService<HostHeartbeatService>(); // stops after retention, before the workers: the host leaves the registry, then workers requeue
        services.AddHostedService(sp => new RetentionService(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<AgentHostOptions>(),
            sp.GetRequiredService<ILogger<RetentionService>>()));
        return services;
    }
}
