using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mercury.AI.Chat;
using Mercury.AI.Server.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Mercury.AI.Server;

public static class MercuryServerExtensions
{
    /// <summary>
    /// Registers the server's services. The model is a <see cref="DiffusionChatClient"/> loaded from
    /// <see cref="MercuryServerOptions.ModelPath"/> (or the embedded model) unless <paramref name="chatClient"/> supplies
    /// another <see cref="IChatClient"/> (any client works for chat; FIM and <c>diffusing</c> need a diffusion one).
    /// </summary>
    public static IServiceCollection AddMercuryServer(this IServiceCollection services, Action<MercuryServerOptions>? configure = null,
        Func<IServiceProvider, IChatClient>? chatClient = null)
    {
        var options = new MercuryServerOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<RequestGate>();
        services.AddSingleton(sp => new ModelHost(
            chatClient is null
                ? () => DiffusionChatClient.Load(new DiffusionChatClientOptions
                {
                    ModelPath = options.ModelPath, Device = options.Device, ModelId = options.ModelId,
                    DefaultSystemPrompt = options.DefaultSystemPrompt,
                },
                    sp.GetRequiredService<ILoggerFactory>())
                : () => chatClient(sp),
            options, sp.GetRequiredService<ILogger<ModelHost>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        return services;
    }

    /// <summary>Maps <c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/v1/fim/completions</c>, <c>/v1/models</c>, <c>/health/live</c>, <c>/health/ready</c> and the playground at <c>/</c>.</summary>
    public static IEndpointRouteBuilder MapMercuryServer(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<MercuryServerOptions>();
        var v1 = app.MapGroup("/v1");
        v1.AddEndpointFilter(new BrowserRequestFilter(options)); // first: it answers CORS preflights, which carry no key
        if (options.ApiKey is { Length: > 0 } key) v1.AddEndpointFilter(new ApiKeyFilter(key));
        v1.MapMethods("/{**path}", [HttpMethods.Options], () => Results.NoContent());
        v1.MapPost("/chat/completions", ChatCompletionsEndpoint.HandleAsync);
        v1.MapPost("/completions", FimCompletionsEndpoint.HandleCompletionsAsync);
        v1.MapPost("/fim/completions", FimCompletionsEndpoint.HandleAsync);
        v1.MapGet("/models", (ModelHost host) => Results.Json(new JsonObject { ["object"] = "list", ["data"] = new JsonArray(ModelsOf(host)) }));
        v1.MapGet("/models/{id}", (string id, ModelHost host) =>
        {
            try { host.GetClient(id); return Results.Json(ModelsOf(host)[0]); }
            catch (OpenAIError e) { return e.ToResult(); }
        });
        v1.MapFallback(() => new OpenAIError(404, "Unknown endpoint. This server offers POST /v1/chat/completions, POST /v1/completions, POST /v1/fim/completions and GET /v1/models.",
            code: "unknown_url").ToResult());

        app.MapGet("/health/live", () => Results.Json(new JsonObject { ["status"] = "live" }));
        app.MapGet("/health/ready", (ModelHost host, RequestGate gate) =>
        {
            var status = new JsonObject
            {
                ["status"] = host.IsReady ? "ready" : host.LoadError is null ? "loading" : "failed",
                ["model"] = host.ModelId,
                ["active"] = gate.Active,
                ["waiting"] = gate.Waiting,
                ["served"] = gate.Served,
                ["rejected"] = gate.Rejected,
                ["cancelled"] = gate.Cancelled,
            };
            if (host.LoadError is { } error) status["error"] = error.Message;
            return Results.Json(status, statusCode: host.IsReady ? 200 : 503);
        });
        if (options.EnablePlayground)
        {
            app.MapGet("/", (HttpResponse response) =>
            {
                // The preview iframe (srcdoc) inherits this policy: generated pages run their scripts but reach no network.
                response.Headers.ContentSecurityPolicy =
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-src 'self'";
                response.Headers.XContentTypeOptions = "nosniff";
                return Results.Text(Playground.Html, "text/html; charset=utf-8");
            });
            app.MapGet("/playground", () => Results.Redirect("/"));
        }
        return app;
    }

    private static JsonNode?[] ModelsOf(ModelHost host) => host.ModelId is { } id
        ? [new JsonObject { ["id"] = id, ["object"] = "model", ["created"] = 0, ["owned_by"] = "mercury-ai" }]
        : [];

    /// <summary><c>Authorization: Bearer &lt;key&gt;</c> on every /v1 route, compared in constant time.</summary>
    private sealed class ApiKeyFilter(string key) : IEndpointFilter
    {
        private readonly byte[] _key = Encoding.UTF8.GetBytes(key);

        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            string header = context.HttpContext.Request.Headers.Authorization.ToString();
            byte[] given = Encoding.UTF8.GetBytes(header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "");
            return CryptographicOperations.FixedTimeEquals(given, _key)
                ? next(context)
                : ValueTask.FromResult<object?>(new OpenAIError(401,
                    header.Length == 0 ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'." : "Incorrect API key provided.",
                    code: "invalid_api_key").ToResult());
        }
    }
}

internal static class Playground
{
    private static readonly Lazy<string> s_html = new(() =>
    {
        using var stream = typeof(Playground).Assembly.GetManifestResourceStream("Mercury.AI.Server.Playground.index.html")
            ?? throw new InvalidOperationException("The playground page is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Html => s_html.Value;
}
