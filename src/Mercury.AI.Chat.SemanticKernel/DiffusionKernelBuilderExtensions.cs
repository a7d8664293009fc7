using Mercury.AI.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Microsoft.SemanticKernel;

/// <summary>
/// Puts the in-process diffusion model behind a <see cref="Kernel"/>: registered as its <see cref="IChatClient"/>,
/// wrapped with <c>UseKernelFunctionInvocation</c> so the kernel's plugins are offered to the model and called
/// automatically (<c>FunctionChoiceBehavior.Auto()</c>), and as its <see cref="IChatCompletionService"/> (the same
/// pipeline, for SK code that resolves that interface), both keyed by <c>serviceId</c> when one is given. Kept out of
/// Mercury.AI.Chat so that package does not depend on Semantic Kernel.
/// </summary>
public static class DiffusionKernelBuilderExtensions
{
    /// <summary>Loads the model from <paramref name="configure"/>'s options (the embedded default when no path is set).</summary>
    public static IKernelBuilder AddDiffusionChatClient(this IKernelBuilder builder, Action<DiffusionChatClientOptions>? configure = null, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var chat = serviceId is null
            ? builder.Services.AddDiffusionChatClient(configure)
            : builder.Services.AddKeyedDiffusionChatClient(serviceId, configure);
        chat.UseKernelFunctionInvocation();
        return AddChatCompletionService(builder, serviceId);
    }

    /// <summary>Uses an existing client (the model stays loaded once, shared with the rest of the app).</summary>
    public static IKernelBuilder AddDiffusionChatClient(this IKernelBuilder builder, DiffusionChatClient client, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        var chat = serviceId is null ? builder.Services.AddChatClient(client) : builder.Services.AddKeyedChatClient(serviceId, client);
        chat.UseKernelFunctionInvocation();
        return AddChatCompletionService(builder, serviceId);
    }

    /// <summary>SK code resolves <see cref="IChatCompletionService"/>: serve it from the registered chat client pipeline.</summary>
    private static IKernelBuilder AddChatCompletionService(IKernelBuilder builder, string? serviceId)
    {
        if (serviceId is null)
            builder.Services.AddSingleton<IChatCompletionService>(sp => sp.GetRequiredService<IChatClient>().AsChatCompletionService(sp));
        else
            builder.Services.AddKeyedSingleton<IChatCompletionService>(serviceId,
                (sp, key) => sp.GetRequiredKeyedService<IChatClient>(key).AsChatCompletionService(sp));
        return builder;
    }
}
