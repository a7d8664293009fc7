using Mercury.AI.Agents.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mercury.AI.Agents.Host;

/// <summary>
/// OpenTelemetry export of the host's spans and metrics, over OTLP, when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
/// exporter reads the standard OTEL_* variables itself). The spans of a job, its model calls (HttpClient, which sends
/// traceparent) and, on a mercury-server with the same setting, the server's request spans form one trace.
/// </summary>
internal static class TelemetryExport
{
    public static bool Enabled => Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 };

    public static IServiceCollection AddTelemetryExport(this IServiceCollection services)
    {
        if (!Enabled) return services;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("mercury-agents"))
            .WithTracing(t => t.AddSource(AgentTelemetry.Name, "System.Net.Http").AddOtlpExporter())
            .WithMetrics(m => m.AddMeter(AgentTelemetry.Name, "System.Net.Http").AddOtlpExporter());
        return services;
    }
}
