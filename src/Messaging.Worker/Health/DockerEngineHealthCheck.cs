using Docker.DotNet;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.Worker.Health;

/// <summary>Ready only while the Docker engine answers a ping.</summary>
public sealed class DockerEngineHealthCheck(IDockerClient docker) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await docker.System.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The Docker engine does not answer.", e);
        }
    }
}
