using System.Globalization;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Supervision;

/// <summary>What the engine says about a service's container now: state, last exit, health.</summary>
public sealed record ContainerObservation(
    bool Running, long ExitCode, bool OomKilled, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Health, string? HealthOutput,
    string? Address = null);

/// <summary>What the engine's container list says of a service's container: running or not, and its health when it has a check.</summary>
public sealed record ListedContainer(string Id, bool Running, string? Health);

/// <summary>A container event of one of our services: what happened (<c>die</c>, <c>start</c>, ...) and the engine's time of it.</summary>
public sealed record ContainerEvent(Guid ServiceId, string Action, long TimeNanos);

/// <summary>
/// The supervisor's view of the engine: the container event stream filtered to this installation's containers, and a
/// container's current state. The stream only says "look at this service"; what happened is read from the state, so a
/// repeated, late or lost event changes nothing the next look does not put right.
/// </summary>
public sealed class EngineContainers(IDockerClient docker, IOptions<DockerOptions> options, ILogger<EngineContainers> logger,
    Pools.PoolClaimBook? claims = null)
{
    /// <summary>A container's labels with a claimed warm pool member's service labels added (Pools/PoolClaimBook.cs).</summary>
    private async Task<IReadOnlyDictionary<string, string>?> LabelsOf(IDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        if (labels is null || claims is null)
            return (IReadOnlyDictionary<string, string>?)labels;
        return await claims.EffectiveLabelsAsync(new Dictionary<string, string>(labels), cancellationToken);
    }

    private static readonly string[] Watched = ["die", "oom", "health_status", "start", "destroy"];

    /// <summary>
    /// Streams our containers' events from <paramref name="sinceNanos"/> (the engine replays those it still holds) until
    /// the stream breaks (the engine stopped: an exception) or <paramref name="cancellationToken"/> ends it.
    /// </summary>
    public async Task WatchAsync(long? sinceNanos, Func<ContainerEvent, Task> onEvent, CancellationToken cancellationToken)
    {
        var parameters = new ContainerEventsParameters
        {
            Since = sinceNanos is { } since ? FormatNanos(since) : null,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["type"] = new Dictionary<string, bool> { ["container"] = true },
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{ContainerLabels.Managed}=true"] = true,
                    [$"{ContainerLabels.Instance}={options.Value.Instance}"] = true,
                },
                ["event"] = Watched.ToDictionary(e => e, _ => true),
            },
        };
        // The engine library reports messages through IProgress: into a channel, so they are handled one at a time, in order.
        var events = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stream = docker.System.MonitorEventsAsync(parameters, new ChannelProgress(events.Writer), stop.Token)
            .ContinueWith(t =>
            {
                events.Writer.TryComplete(t.Exception?.GetBaseException() ?? (t.IsCanceled ? null : new IOException("The engine closed the event stream.")));
            }, TaskScheduler.Default);
        try
        {
            await foreach (var message in events.Reader.ReadAllAsync(cancellationToken))
            {
                var attributes = await LabelsOf(message.Actor?.Attributes, cancellationToken);
                if (attributes is null || !attributes.TryGetValue(ContainerLabels.ServiceId, out var id) || !Guid.TryParse(id, out var serviceId))
                    continue;
                await onEvent(new ContainerEvent(serviceId, message.Action ?? "", message.TimeNano ?? 0));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await stream;
        }
    }

    /// <summary>
    /// Every container of this installation by service id, from one list call: what a sweep compares the records with
    /// before it looks closer (an inspect per container) at those that differ.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, ListedContainer>> ListAsync(CancellationToken cancellationToken)
    {
        var listed = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{ContainerLabels.Managed}=true"] = true,
                    [$"{ContainerLabels.Instance}={options.Value.Instance}"] = true,
                },
            },
        }, cancellationToken);
        var containers = new Dictionary<Guid, ListedContainer>();
        foreach (var container in listed)
        {
            var labels = await LabelsOf(container.Labels, cancellationToken);
            if (labels is null || !labels.TryGetValue(ContainerLabels.ServiceId, out var id) || !Guid.TryParse(id, out var serviceId))
                continue;
            containers[serviceId] = new ListedContainer(container.ID, container.State == "running", HealthIn(container.Status));
        }
        return containers;
    }

    /// <summary>The health in a list entry's status text ("Up 5 minutes (healthy)", "(health: starting)"), or null without a check.</summary>
    private static string? HealthIn(string? status) => status switch
    {
        null => null,
        _ when status.EndsWith("(healthy)", StringComparison.Ordinal) => "healthy",
        _ when status.EndsWith("(unhealthy)", StringComparison.Ordinal) => "unhealthy",
        _ when status.EndsWith("(health: starting)", StringComparison.Ordinal) => "starting",
        _ => null,
    };

    /// <summary>The container's state, or null when it is gone or is not this service's container (never acted on).</summary>
    public async Task<ContainerObservation?> ObserveAsync(ServiceContainer container, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(container.Id))
            return null;
        ContainerInspectResponse found;
        try
        {
            found = await docker.Containers.InspectContainerAsync(container.Id, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        var labels = await LabelsOf(found.Config?.Labels, cancellationToken) ?? new Dictionary<string, string>();
        if (!ContainerLabels.BelongTo(labels, options.Value.Instance, container.ServiceId))
        {
            logger.LogError("Not supervising container {ContainerId}: it does not carry the labels of service {ServiceId}", found.ID, container.ServiceId);
            return null;
        }
        var state = found.State;
        var health = state?.Health;
        return new ContainerObservation(
            state?.Running == true || state?.Restarting == true,
            state?.ExitCode ?? 0,
            state?.OOMKilled ?? false,
            EngineTime(state?.StartedAt),
            EngineTime(state?.FinishedAt),
            health?.Status,
            health?.Log?.LastOrDefault()?.Output?.Trim(),
            AddressOf(found.NetworkSettings));
    }

    /// <summary>The container's IP address on the services' network (or on the first network it has one), for the worker's own probes.</summary>
    private string? AddressOf(NetworkSettings? settings)
    {
        var networks = settings?.Networks;
        if (networks is null)
            return null;
        if (networks.TryGetValue(options.Value.Network, out var services) && !string.IsNullOrEmpty(services.IPAddress))
            return services.IPAddress;
        return networks.Values.Select(n => n.IPAddress).FirstOrDefault(ip => !string.IsNullOrEmpty(ip));
    }

    /// <summary>Engine API times are RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" means never.</summary>
    private static DateTimeOffset? EngineTime(object? value)
    {
        var parsed = value switch
        {
            DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
            DateTimeOffset time => time,
            string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) => time,
            _ => (DateTimeOffset?)null,
        };
        // To the millisecond, as records keep instants: an exit is recognised as one already handled by its time.
        return parsed is { Year: > 1 } instant ? DateTimeOffset.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds()) : null;
    }

    private static string FormatNanos(long nanos) =>
        $"{(nanos / 1_000_000_000).ToString(CultureInfo.InvariantCulture)}.{(nanos % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture)}";

    private sealed class ChannelProgress(ChannelWriter<Message> writer) : IProgress<Message>
    {
        public void Report(Message value) => writer.TryWrite(value);
    }
}
