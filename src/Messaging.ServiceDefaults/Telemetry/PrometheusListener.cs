using Microsoft.Extensions.Configuration;
using OpenTelemetry.Metrics;

namespace Messaging.ServiceDefaults.Telemetry;

/// <summary>
/// The scrape endpoint of the hosts that serve no HTTP of their own (worker, audit): a Prometheus listener
/// (<c>/metrics</c>) when <c>Metrics:PrometheusPort</c> is set, bound to <c>Metrics:PrometheusHost</c> (default
/// localhost; in compose, the internal network only: these hosts serve no users). The API serves its metrics on its
/// own port instead, behind a token.
/// </summary>
public static class PrometheusListener
{
    public static MeterProviderBuilder AddPrometheusListenerIfConfigured(this MeterProviderBuilder metrics, IConfiguration configuration)
    {
        var port = configuration.GetValue<int?>("Metrics:PrometheusPort");
        var host = configuration["Metrics:PrometheusHost"] ?? "localhost";
        if (port is > 0)
            metrics.AddPrometheusHttpListener(listener => (listener.Host, listener.Port) = (host, port.Value));
        return metrics;
    }
}
