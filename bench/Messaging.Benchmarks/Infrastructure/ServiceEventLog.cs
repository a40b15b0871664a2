using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>One event as the bench heard it: its type, its message (camelCase, as published) and when it arrived.</summary>
public sealed record HeardEvent(string Type, Guid ServiceId, JsonElement Message, long ReceivedTicks);

/// <summary>
/// A subscriber to any set of event types (<c>Messaging.Contracts:&lt;Type&gt;</c>) of the bench's vhost, read with
/// RabbitMQ.Client like <see cref="EventWatcher"/>, that keeps every event per service so a trial can wait for "the
/// next <c>ServiceExited</c> of this service after this instant". Stack events, which name no service, are kept per
/// stack (their <c>stackId</c>).
/// </summary>
public sealed class ServiceEventLog : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, List<HeardEvent>> _events = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private IConnection _connection = null!;
    private IChannel _channel = null!;

    public static async Task<ServiceEventLog> StartAsync(params string[] types)
    {
        var log = new ServiceEventLog();
        log._connection = await Rabbit.Factory().CreateConnectionAsync("bench-service-events");
        log._channel = await log._connection.CreateChannelAsync();
        var queue = (await log._channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        foreach (var type in types)
        {
            var exchange = $"Messaging.Contracts:{type}";
            await log._channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await log._channel.QueueBindAsync(queue, exchange, "");
        }
        var consumer = new AsyncEventingBasicConsumer(log._channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            log.OnMessage(delivery.Exchange, delivery.Body.Span);
            return Task.CompletedTask;
        };
        await log._channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        return log;
    }

    private void OnMessage(string exchange, ReadOnlySpan<byte> body)
    {
        var received = Stopwatch.GetTimestamp();
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var message = document.RootElement.GetProperty("message").Clone();
            var serviceId = (message.TryGetProperty("serviceId", out var id) ? id : message.GetProperty("stackId")).GetGuid();
            var type = exchange[(exchange.IndexOf(':') + 1)..];
            var list = _events.GetOrAdd(serviceId, _ => []);
            lock (list)
                list.Add(new HeardEvent(type, serviceId, message, received));
            _arrived.Release();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"[bench] unreadable event: {e.Message}");
        }
    }

    /// <summary>The first <paramref name="type"/> event of the service that arrived at or after <paramref name="sinceTicks"/>.</summary>
    public Task<HeardEvent> WaitAsync(Guid serviceId, string type, long sinceTicks, TimeSpan timeout, CancellationToken cancel) =>
        WaitAnyAsync(serviceId, [type], sinceTicks, timeout, cancel);

    /// <summary>The first event of any of <paramref name="types"/> (e.g. a success and its failure) of the service or stack.</summary>
    public async Task<HeardEvent> WaitAnyAsync(Guid id, IReadOnlyCollection<string> types, long sinceTicks, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = Clock.Now + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (Find(id, types, sinceTicks) is { } heard)
                return heard;
            var left = Clock.Ms(Clock.Now, deadline);
            if (left <= 0)
                throw new TimeoutException($"None of {string.Join('/', types)} for {id} within {timeout.TotalSeconds:F0} s.");
            await _arrived.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(left, 100)), cancel);
        }
    }

    /// <summary>How many <paramref name="type"/> events, of any service, arrived from <paramref name="sinceTicks"/> to <paramref name="untilTicks"/>.</summary>
    public int Count(string type, long sinceTicks, long untilTicks) =>
        _events.Values.Sum(list =>
        {
            lock (list)
                return list.Count(e => e.Type == type && e.ReceivedTicks >= sinceTicks && e.ReceivedTicks < untilTicks);
        });

    private HeardEvent? Find(Guid serviceId, IReadOnlyCollection<string> types, long sinceTicks)
    {
        if (!_events.TryGetValue(serviceId, out var list))
            return null;
        lock (list)
            return list.FirstOrDefault(e => types.Contains(e.Type) && e.ReceivedTicks >= sinceTicks);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        await _connection.CloseAsync();
        _channel.Dispose();
        _connection.Dispose();
        _arrived.Dispose();
    }
}
