using Mercury.AI.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mercury.AI.Server.Tests;

/// <summary>The real server (Kestrel on a free loopback port), as <c>mercury-server</c> builds it, over a chat client the test picks.</summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServerHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }

    /// <summary>An HttpClient on <see cref="BaseAddress"/>.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public RequestGate Gate => _app.Services.GetRequiredService<RequestGate>();

    /// <param name="chatClient">The model; null = what mercury-server loads (<see cref="MercuryServerOptions.ModelPath"/>, else the embedded model).</param>
    public static async Task<ServerHost> StartAsync(Func<IChatClient>? chatClient, Action<MercuryServerOptions>? configure = null, bool waitUntilReady = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMercuryServer(configure, chatClient is null ? null : _ => chatClient());
        var app = builder.Build();
        app.MapMercuryServer();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var host = new ServerHost(app, new Uri(address.TrimEnd('/') + "/"));
        if (waitUntilReady) await app.Services.GetRequiredService<ModelHost>().WhenReadyAsync();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
