using System.Collections.Concurrent;
using MassTransit;

namespace Messaging.Api.Tests;

/// <summary>
/// A worker's request endpoint on the harness bus, standing in for the real one: every <typeparamref name="TRequest"/>
/// is recorded in <see cref="Asked"/> and answered with what <see cref="Answer"/> returns for it (null: no answer, as
/// with no worker running, so the API's request times out).
/// </summary>
public sealed class StandInWorker<TRequest> : IAsyncDisposable where TRequest : class
{
    private readonly HostReceiveEndpointHandle _endpoint;

    private StandInWorker(IBus bus, string name)
    {
        _endpoint = bus.ConnectReceiveEndpoint($"{name}-{Guid.NewGuid():N}", endpoint =>
            endpoint.Handler<TRequest>(async context =>
            {
                Asked.Add(context.Message);
                if (Answer(context.Message) is { } answer)
                    await context.RespondAsync(answer);
            }));
    }

    /// <summary>What the stand-in answers to a request; null: nothing.</summary>
    public Func<TRequest, object?> Answer { get; set; } = _ => null;

    /// <summary>Every request it received.</summary>
    public ConcurrentBag<TRequest> Asked { get; } = [];

    /// <summary>Connects the stand-in as a receive endpoint named after <paramref name="name"/> and waits until it is ready.</summary>
    public static async Task<StandInWorker<TRequest>> StartAsync(IBus bus, string name)
    {
        var worker = new StandInWorker<TRequest>(bus, name);
        await worker._endpoint.Ready;
        return worker;
    }

    public async ValueTask DisposeAsync() => await _endpoint.StopAsync();
}
