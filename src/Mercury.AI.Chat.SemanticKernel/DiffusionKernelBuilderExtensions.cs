using Mercury.AI.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.SemanticKernel;

/// <summary>
/// Puts the in-process diffusion model behind a <see cref="Kernel"/>: registered as its <see cref="IChatClient"/>,
/// wrapped with <c>UseKernelFunctionInvocation</c> so the kernel's plugins are offered to the model and called
/// automatically (<c>FunctionChoiceBehavior.Auto()</c>). Kept out of Mercury.AI.Chat so that package does not
/// depend on Semantic Kernel.
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
        return builder;
    }

    /// <summary>Uses an existing client (the model stays loaded once, shared with the rest of the app).</summary>
    public static IKernelBuilder AddDiffusionChatClient(this IKernelBuilder builder, DiffusionChatClient client, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        var chat = serviceId is null ? builder.Services.AddChatClient(client) : builder.Services.AddKeyedChatClient(serviceId, client);
        chat.UseKernelFunctionInvocation();
        return builder;
    }
}
