using MassTransit;
using Messaging.Contracts;

namespace Messaging.Api.Builds;

/// <summary>
/// The live lines of running builds as this API process received them (<see cref="ImageBuildLogged"/>, from the worker
/// over the bus), numbered as in the build's log, for <c>GET /api/v1/builds/{id}/logs</c>. In memory and bounded: the
/// last <see cref="MaxLinesPerBuild"/> lines of the <see cref="MaxBuilds"/> builds heard from most recently. What it
/// missed (lines before this process started, a lost batch) the stream fills from the record's tail at the end.
/// </summary>
public sealed class BuildLogRelay
{
    public const int MaxLinesPerBuild = 5_000;
    public const int MaxBuilds = 64;

    private readonly Dictionary<Guid, BuildLines> _builds = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _added = NewSignal();

    /// <summary>Keeps lines <paramref name="firstLine"/>... of a build; lines it already has are ignored.</summary>
    public void Add(Guid buildId, long firstLine, IReadOnlyList<string> lines)
    {
        lock (_gate)
        {
            if (!_builds.TryGetValue(buildId, out var build))
            {
                if (_builds.Count >= MaxBuilds)
                    _builds.Remove(_builds.MinBy(b => b.Value.Heard).Key);
                _builds[buildId] = build = new BuildLines();
            }
            build.Heard = Environment.TickCount64;
            for (var i = 0; i < lines.Count; i++)
            {
                var number = firstLine + i;
                if (number <= build.Last)
                    continue;
                build.Lines.Enqueue((number, lines[i]));
                build.Last = number;
            }
            while (build.Lines.Count > MaxLinesPerBuild)
                build.Lines.Dequeue();
        }
        Interlocked.Exchange(ref _added, NewSignal()).TrySetResult();
    }

    /// <summary>The lines of a build numbered <paramref name="from"/> or later, oldest first.</summary>
    public IReadOnlyList<(long Number, string Line)> Read(Guid buildId, long from)
    {
        lock (_gate)
            return _builds.TryGetValue(buildId, out var build) ? [.. build.Lines.Where(l => l.Number >= from)] : [];
    }

    /// <summary>Completes when lines of any build arrive, after <paramref name="timeout"/>, or throws when cancelled.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Task.WhenAny(Volatile.Read(ref _added).Task, Task.Delay(timeout, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class BuildLines
    {
        public Queue<(long Number, string Line)> Lines { get; } = new();
        public long Last { get; set; }
        public long Heard { get; set; }
    }
}

/// <summary>Feeds <see cref="BuildLogRelay"/>. Only the worker may publish <see cref="ImageBuildLogged"/> (broker permissions).</summary>
public sealed class ImageBuildLoggedConsumer(BuildLogRelay relay) : IConsumer<ImageBuildLogged>
{
    public Task Consume(ConsumeContext<ImageBuildLogged> context)
    {
        relay.Add(context.Message.BuildId, context.Message.FirstLine, context.Message.Lines);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every API process hears every build's lines on a queue of its own (<c>api_build-logs_&lt;id&gt;</c>), deleted when the
/// process goes: a stream may be served by any API process, and a line is worth nothing once nobody is watching.
/// </summary>
public static class BuildLogRelayRegistration
{
    public const string QueuePrefix = "api_build-logs_";

    public static void AddBuildLogRelay(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<ImageBuildLoggedConsumer>().ExcludeFromConfigureEndpoints();

    public static void ReceiveBuildLogs(this IRabbitMqBusFactoryConfigurator cfg, IBusRegistrationContext context) =>
        cfg.ReceiveEndpoint($"{QueuePrefix}{NewId.NextGuid():N}", endpoint =>
        {
            endpoint.AutoDelete = true;
            endpoint.Durable = false;
            endpoint.PrefetchCount = 64;
            // One batch at a time, in the queue's order: the relay keeps only lines past the last it has, so a later
            // batch consumed before an earlier one (concurrent consumers) dropped the earlier one's lines from the stream.
            endpoint.ConcurrentMessageLimit = 1;
            endpoint.ConfigureConsumer<ImageBuildLoggedConsumer>(context);
        });
}
