using Messaging.ServiceDefaults.Bus;
using System.Collections.Concurrent;
using MassTransit;
using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.FaultTests.Harness;

/// <summary>An event as the subscriber received it.</summary>
internal sealed record Received(object Message, DateTime At);

/// <summary>
/// The tests' own bus in the fault vhost: publishes commands the way another system would (publisher
/// confirms on, command queues declared with the first publish) and subscribes to every event through a
/// durable quorum queue of its own, so that events published while the broker restarts or while this
/// subscriber reconnects wait in the queue instead of being dropped.
/// </summary>
internal sealed class FaultBus : IAsyncDisposable
{
    public const string EventQueue = "fault-tests-events";

    private readonly IBusControl _bus;
    private readonly ConcurrentQueue<Received> _events = new();

    private FaultBus(IBusControl bus) => _bus = bus;

    public IReadOnlyCollection<Received> Events => _events;

    public static async Task<FaultBus> StartAsync(string vhost)
    {
        FaultBus? self = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            var broker = TestEnvironment.RabbitMq;
            cfg.Host(broker.Host, (ushort)broker.Port, vhost, h =>
            {
                h.Username(broker.Username);
                h.Password(broker.Password);
                h.PublisherConfirmation = true;
            });
            // The worker takes who sent a command from the AMQP user_id; as the API's broker user, this harness names owners.
            cfg.StampBrokerUserId(broker.Username);
            BindCommandQueue<CreateService>(cfg, CommandQueues.CreateService);
            BindCommandQueue<RemoveService>(cfg, CommandQueues.ServiceLifecycle);
            cfg.ReceiveEndpoint(EventQueue, endpoint =>
            {
                endpoint.SetQuorumQueue();
                endpoint.PrefetchCount = 64;
                endpoint.Handler<ServiceCreated>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceCreationFailed>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceRemoved>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceCommandRejected>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceDriftCorrected>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceExited>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceRestartedBySupervisor>(context => self!.Record(context.Message));
                endpoint.Handler<ServiceCrashLooping>(context => self!.Record(context.Message));
            });
        });
        self = new FaultBus(bus);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        return self;
    }

    private static void BindCommandQueue<T>(IRabbitMqBusFactoryConfigurator cfg, string queue) where T : class =>
        // Bind the message type's own exchange straight to the queue: binding an exchange named after the
        // queue (as the worker's endpoint also does) would leave the message exchange unbound on a fresh vhost.
        cfg.Publish<T>(topology => topology.BindQueue(topology.Exchange.ExchangeName, queue, binding => binding.SetQuorumQueue()));

    private Task Record(object message)
    {
        _events.Enqueue(new Received(message, DateTime.UtcNow));
        return Task.CompletedTask;
    }

    /// <summary>Publishes and waits for the broker's confirm; retried (same message) until confirmed or the deadline.</summary>
    public async Task PublishConfirmedAsync<T>(T message, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _bus.Publish(message, cancel.Token);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    public IEnumerable<T> All<T>() => _events.Select(e => e.Message).OfType<T>();

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _bus.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
