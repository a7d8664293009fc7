using Mercury.AI.Server;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

// mercury-server [--model PATH] [--device auto|cpu|cuda|cuda:N] [--urls http://127.0.0.1:5290] [--api-key KEY]
//                [--max-concurrent 8] [--max-queued 32] [--model-id ID] [--allowed-hosts a,b] [--allowed-origins https://x,https://y]
// Every flag is also configuration: Mercury:Server:ModelPath, ..., or MERCURY_API_KEY for the key.
var builder = WebApplication.CreateSlimBuilder(ServerCommandLine.Normalize(args));
string urls = builder.Configuration["urls"] ?? "http://127.0.0.1:5290";
builder.WebHost.UseUrls(urls);
var section = builder.Configuration.GetSection("Mercury:Server");
builder.Services.AddMercuryServer(o =>
{
    section.Bind(o);
    o.ApiKey ??= Environment.GetEnvironmentVariable("MERCURY_API_KEY");
    // The names the server was told to listen on are names it answers to.
    foreach (var host in ServerCommandLine.HostsOf(urls)) o.AllowedHosts.Add(host);
});
// Kestrel's own cap is a backstop above the server's limit, which answers 413 in OpenAI's shape first.
long maxBody = section.GetValue<long?>("MaxRequestBodyBytes") ?? new MercuryServerOptions().MaxRequestBodyBytes;
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxBody * 2);

// OTLP export of request spans and metrics when OTEL_EXPORTER_OTLP_ENDPOINT is set: a host's model call (traceparent)
// and the server's request span share one trace.
if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 })
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(r => r.AddService("mercury-server"))
        .WithTracing(t => t.AddSource("Microsoft.AspNetCore").AddOtlpExporter())
        .WithMetrics(m => m.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel").AddOtlpExporter());

var app = builder.Build();
app.MapMercuryServer();
app.Lifetime.ApplicationStarted.Register(() =>
    app.Logger.LogInformation("mercury-server listening on {Urls}; playground at /, OpenAI API at /v1.", string.Join(", ", app.Urls)));
app.Run();

internal static class ServerCommandLine
{
    private static readonly Dictionary<string, string> s_flags = new(StringComparer.Ordinal)
    {
        ["--model"] = "Mercury:Server:ModelPath",
        ["--device"] = "Mercury:Server:Device",
        ["--model-id"] = "Mercury:Server:ModelId",
        ["--system"] = "Mercury:Server:DefaultSystemPrompt",
        ["--api-key"] = "Mercury:Server:ApiKey",
        ["--max-concurrent"] = "Mercury:Server:MaxConcurrentRequests",
        ["--max-queued"] = "Mercury:Server:MaxQueuedRequests",
        ["--max-body-bytes"] = "Mercury:Server:MaxRequestBodyBytes",
        ["--max-output-tokens"] = "Mercury:Server:MaxOutputTokens",
        ["--allowed-hosts"] = "Mercury:Server:AllowedHosts",
        ["--allowed-origins"] = "Mercury:Server:AllowedOrigins",
        ["--urls"] = "urls",
    };

    /// <summary>The host names of --urls, except wildcards (0.0.0.0, *, +, [::]), which name no host.</summary>
    public static IEnumerable<string> HostsOf(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Host : "")
            .Where(h => h is not ("" or "wildcard" or "0.0.0.0" or "[::]"));

    /// <summary>Turns the short flags into configuration keys; anything else is refused with the list of flags.</summary>
    public static string[] Normalize(string[] args)
    {
        var result = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine("usage: mercury-server " + string.Join(" ", s_flags.Keys.Select(k => $"[{k} VALUE]")));
                Environment.Exit(0);
            }
            if (!s_flags.TryGetValue(args[i], out string? key) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Options: {string.Join(", ", s_flags.Keys)}.");
                Environment.Exit(2);
            }
            string value = args[++i];
            if (key.EndsWith("AllowedHosts", StringComparison.Ordinal) || key.EndsWith("AllowedOrigins", StringComparison.Ordinal))
            {
                // A list: a,b → key:0=a key:1=b
                var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (int n = 0; n < items.Length; n++) result.Add($"--{key}:{n}={items[n]}");
                continue;
            }
            result.Add($"--{key}={value}");
        }
        return [.. result];
    }
}
