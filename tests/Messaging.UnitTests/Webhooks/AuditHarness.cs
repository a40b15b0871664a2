using MassTransit;
using MassTransit.Testing;
using Messaging.Audit;
using Messaging.Audit.Notifications;
using Messaging.State.Webhooks;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Messaging.UnitTests.Webhooks;

/// <summary>
/// The audit host's real registrations on MassTransit's in-memory harness and real Redis under a key prefix of its
/// own. The in-memory transport has no wait queues: a retry sent to one is seen in <see cref="ITestHarness.Sent"/> and
/// goes no further, so a test hands the next try in itself.
/// </summary>
public sealed class AuditHarness : IAsyncDisposable
{
    public const int MaxAttempts = 3;
    private readonly IHost _host;
    private readonly string _prefix;

    private AuditHarness(IHost host, string prefix)
    {
        _host = host;
        _prefix = prefix;
    }

    public ITestHarness Harness => _host.Services.GetRequiredService<ITestHarness>();
    public WebhookStore Store => _host.Services.GetRequiredService<WebhookStore>();
    public WebhookMetrics Metrics => _host.Services.GetRequiredService<WebhookMetrics>();

    public static async Task<AuditHarness> StartAsync()
    {
        var prefix = $"test:{Guid.NewGuid():N}:";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new SystemSettings { Instance = "unit", KeyPrefix = prefix, PortMin = 11000, PortMax = 11001 }.ToConfiguration());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateAddresses"] = "true", // the receivers listen on 127.0.0.1
            ["Webhooks:MaxAttempts"] = MaxAttempts.ToString(),
            ["Webhooks:FirstRetryDelay"] = "00:00:00.050",
            ["Webhooks:AttemptTimeout"] = "00:00:02",
            ["Health:File"] = Path.Combine(Path.GetTempPath(), $"messaging-unit-audit-{Guid.NewGuid():N}.health"),
        });
        builder.AddAuditHost();
        builder.Services.AddMassTransitTestHarness();
        var host = builder.Build();
        await host.Services.GetRequiredService<ITestHarness>().Start();
        return new AuditHarness(host, prefix);
    }

    public async Task<WebhookSubscription> Subscribe(string url, params string[] eventTypes)
    {
        var subscription = new WebhookSubscription
        {
            Id = WebhookStore.NewId(), Url = url, EventTypes = eventTypes, Secret = WebhookStore.NewSecret(), CreatedBy = "admin",
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await Store.SaveAsync(subscription);
        return subscription;
    }

    /// <summary>Waits until the consumer <typeparamref name="TConsumer"/> has consumed a <typeparamref name="T"/> that <paramref name="match"/> accepts.</summary>
    public async Task<bool> Consumed<TConsumer, T>(Func<T, bool> match) where TConsumer : class, IConsumer where T : class
    {
        var consumer = Harness.GetConsumerHarness<TConsumer>();
        return await Eventually(() => Task.FromResult(consumer.Consumed.Select<T>().Any(m => match(m.Context.Message))), consumed => consumed);
    }

    /// <summary>Hands a delivery to the audit host as the fan-out (or a wait queue) would.</summary>
    public async Task Send(object delivery)
    {
        var endpoint = await Harness.Bus.GetSendEndpoint(new Uri("exchange:webhook-attempts"));
        await endpoint.Send(delivery);
    }

    /// <summary>Waits until <paramref name="done"/> holds (up to 20 s) and returns what <paramref name="read"/> says then.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            value = await read();
        }
        return value;
    }

    public async ValueTask DisposeAsync()
    {
        await SystemCleanup.DeleteKeysAsync(_host.Services.GetRequiredService<IConnectionMultiplexer>(), _prefix);
        if (_host is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
        else
            _host.Dispose();
    }
}
