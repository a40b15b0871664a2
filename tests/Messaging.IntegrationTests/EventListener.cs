using System.Collections.Concurrent;
using MassTransit;
using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.IntegrationTests;

/// <summary>
/// A subscriber of our own on the real broker (a temporary queue bound to the event exchanges), as an
/// audit or notification system would be. Also publishes commands the way another system would.
/// </summary>
public sealed class EventListener : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly ConcurrentQueue<object> _events = new();

    private EventListener(IBusControl bus) => _bus = bus;

    /// <param name="vhost">The broker's virtual host: "/" (the system's), or a harness's own (the pool tests').</param>
    public static async Task<EventListener> StartAsync(string vhost = "/")
    {
        EventListener? listener = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            var broker = TestEnvironment.RabbitMq;
            cfg.Host(broker.Host, (ushort)broker.Port, vhost, h => { h.Username(broker.Username); h.Password(broker.Password); });
            // This user is also the API's broker user in these tests: commands sent from here act like the API's.
            cfg.ConfigurePublish(publish => publish.UseExecute(context =>
            {
                if (context.TryGetPayload(out RabbitMqSendContext? rabbit))
                    rabbit.BasicProperties.UserId = broker.Username;
            }));
            cfg.ReceiveEndpoint(new TemporaryEndpointDefinition(), endpoint =>
            {
                endpoint.Handler<ServiceCreated>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceCreationFailed>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceStopped>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceStarted>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceRestarted>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceRemoved>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceCommandRejected>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceExited>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceUnhealthy>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceRecovered>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceHealthy>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceRestartedBySupervisor>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceCrashLooping>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceCertificateFailed>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceMoved>(context => listener!.Record(context.Message));
                endpoint.Handler<ServiceDegraded>(context => listener!.Record(context.Message));
                endpoint.Handler<StackCreated>(context => listener!.Record(context.Message));
                endpoint.Handler<StackCreationFailed>(context => listener!.Record(context.Message));
                endpoint.Handler<StackRemoved>(context => listener!.Record(context.Message));
                endpoint.Handler<ImageBuilt>(context => listener!.Record(context.Message));
                endpoint.Handler<ImageBuildFailed>(context => listener!.Record(context.Message));
            });
        });
        listener = new EventListener(bus);
        await bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return listener;
    }

    private Task Record(object message)
    {
        _events.Enqueue(message);
        return Task.CompletedTask;
    }

    public Task Publish<T>(T message) where T : class => _bus.Publish(message);

    /// <summary>Waits for the first event of type <typeparamref name="T"/> that matches.</summary>
    public async Task<T> WaitFor<T>(Func<T, bool> match, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var found = _events.OfType<T>().FirstOrDefault(match);
            if (found is not null)
                return found;
            await Task.Delay(25);
        }
        throw new TimeoutException($"No {typeof(T).Name} arrived in time. Seen: {string.Join(", ", _events.Select(e => e.GetType().Name))}");
    }

    /// <summary>Every event seen so far of type <typeparamref name="T"/> that matches.</summary>
    public IReadOnlyList<T> All<T>(Func<T, bool> match) => _events.OfType<T>().Where(match).ToList();

    /// <summary>Waits for the terminal event of a service: created or failed.</summary>
    public async Task<object> WaitForOutcome(Guid serviceId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var found = _events.FirstOrDefault(e => e is ServiceCreated c && c.ServiceId == serviceId ||
                                                    e is ServiceCreationFailed f && f.ServiceId == serviceId);
            if (found is not null)
                return found;
            await Task.Delay(25);
        }
        throw new TimeoutException($"No outcome for service {serviceId}.");
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
