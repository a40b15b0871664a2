using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Docker.DotNet;
using Messaging.Contracts;
using Messaging.Worker.Telemetry;

namespace Messaging.Worker.Containers;

/// <summary>
/// One engine call as every scheduler adapter makes it: in a span named after the operation, with transport failures
/// turned into <c>docker_unavailable</c> and engine refusals into <c>docker_error</c>.
/// </summary>
public static class EngineCall
{
    public static string Summarize(string? body) => string.IsNullOrWhiteSpace(body) ? "no details" : body.Trim();

    /// <summary>
    /// Maps transport failures to docker_unavailable and engine refusals to docker_error, inside a span
    /// named after the operation so traces show every engine call.
    /// </summary>
    public static Task Run(Func<Task> operation, [CallerMemberName] string name = "") =>
        Run(async () =>
        {
            await operation();
            return 0;
        }, name);

    public static async Task<T> Run<T>(Func<Task<T>> operation, [CallerMemberName] string name = "")
    {
        using var activity = WorkerTelemetry.Source.StartActivity("docker " + name.Replace("Async", "", StringComparison.Ordinal), ActivityKind.Client);
        try
        {
            return await operation();
        }
        catch (ContainerRuntimeException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Reason);
            throw;
        }
        catch (DockerApiException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            throw new ContainerRuntimeException(FailureReasons.DockerError,
                $"The Docker engine answered {(int)e.StatusCode}: {Summarize(e.ResponseBody)}", e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or TimeoutException
                                      or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            activity?.SetStatus(ActivityStatusCode.Error, FailureReasons.DockerUnavailable);
            throw new ContainerRuntimeException(FailureReasons.DockerUnavailable,
                $"The Docker engine is unreachable: {e.Message}", e);
        }
    }
}
