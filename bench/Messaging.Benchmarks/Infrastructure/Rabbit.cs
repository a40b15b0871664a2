using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Messaging.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Benchmarks.Infrastructure;

/// <summary>The broker side of the run: the bench's own virtual host, purges, and the raw AMQP connection.</summary>
public static class Rabbit
{
    public const string CreateServiceQueue = "create-service";
    public const string CreateServiceExchange = "Messaging.Contracts:CreateService";
    public const string ContentType = "application/vnd.masstransit+json";

    public static ConnectionFactory Factory(string vhost = BenchContext.VHost) => new()
    {
        HostName = TestEnvironment.RabbitMq.Host, Port = TestEnvironment.RabbitMq.Port,
        UserName = TestEnvironment.RabbitMq.Username, Password = TestEnvironment.RabbitMq.Password, VirtualHost = vhost,
    };

    /// <summary><c>rabbitmqctl add_vhost</c> + <c>set_permissions</c> (idempotent): nothing the tests use is touched.</summary>
    public static async Task EnsureVHostAsync()
    {
        var (_, listed) = await RunAsync("rabbitmqctl", "-q", "list_vhosts");
        if (!listed.Split('\n').Any(line => line.Trim() == BenchContext.VHost))
        {
            var (code, output) = await RunAsync("rabbitmqctl", "add_vhost", BenchContext.VHost);
            if (code != 0 && !output.Contains("already exists", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"rabbitmqctl add_vhost failed: {output}");
        }
        var (permissions, text) = await RunAsync("rabbitmqctl", "set_permissions", "-p", BenchContext.VHost, "guest", ".*", ".*", ".*");
        if (permissions != 0)
            throw new InvalidOperationException($"rabbitmqctl set_permissions failed: {text}");
    }

    /// <summary>Purges a queue of the bench's vhost if it exists; the number of messages it held.</summary>
    public static async Task<uint> PurgeAsync(string queue)
    {
        await using var connection = await Factory().CreateConnectionAsync("bench-purge");
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
        }
        catch (OperationInterruptedException)
        {
            return 0; // no such queue (yet)
        }
        return await channel.QueuePurgeAsync(queue);
    }

    /// <summary>
    /// What the worker's receive endpoint declares (MassTransit's layout): the message type exchange bound to the
    /// <c>create-service</c> exchange, which is bound to the queue.
    /// </summary>
    public static async Task BindCommandExchangeAsync()
    {
        await using var connection = await Factory().CreateConnectionAsync("bench-bind");
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(CreateServiceExchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.ExchangeDeclareAsync(CreateServiceQueue, ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.ExchangeBindAsync(destination: CreateServiceQueue, source: CreateServiceExchange, routingKey: "");
    }

    /// <summary>Messages waiting in a queue of the bench's vhost (0 when it does not exist).</summary>
    public static async Task<uint> CountAsync(string queue)
    {
        await using var connection = await Factory().CreateConnectionAsync("bench-count");
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>One message of the queue (left in it), to copy its size and headers; null when empty.</summary>
    public static async Task<(byte[] Body, IReadOnlyBasicProperties Properties)?> PeekAsync(string queue)
    {
        await using var connection = await Factory().CreateConnectionAsync("bench-peek");
        await using var channel = await connection.CreateChannelAsync();
        var message = await channel.BasicGetAsync(queue, autoAck: false);
        if (message is null)
            return null;
        var body = message.Body.ToArray();
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true);
        return (body, message.BasicProperties);
    }

    public static async Task<string> ServerVersionAsync()
    {
        await using var connection = await Factory().CreateConnectionAsync("bench-version");
        return connection.ServerProperties?.TryGetValue("version", out var version) == true && version is byte[] bytes
            ? System.Text.Encoding.UTF8.GetString(bytes)
            : "unknown";
    }

    public static async Task<(int Code, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}

/// <summary>What the worker said about one service, and when the bench heard it.</summary>
public sealed record Outcome(bool Created, string? Reason, string? Message, int HostPort, DateTimeOffset? At, long ReceivedTicks)
{
    /// <summary>ServiceCreated's <c>warm</c>: a warm pool member served it (issue 20).</summary>
    public bool Warm { get; init; }
}

/// <summary>
/// A subscriber of our own, as the integration tests have: a temporary queue bound to the
/// <c>ServiceCreated</c> and <c>ServiceCreationFailed</c> exchanges of the bench's vhost, read with
/// RabbitMQ.Client (no MassTransit in the measuring process). Outcomes are matched by service id.
/// </summary>
public sealed class EventWatcher : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<Outcome>> _waiting = new();
    private IConnection _connection = null!;
    private IChannel _channel = null!;

    public static async Task<EventWatcher> StartAsync()
    {
        var watcher = new EventWatcher();
        watcher._connection = await Rabbit.Factory().CreateConnectionAsync("bench-events");
        watcher._channel = await watcher._connection.CreateChannelAsync();
        var queue = (await watcher._channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        foreach (var type in new[] { "ServiceCreated", "ServiceCreationFailed" })
        {
            // As MassTransit declares them: fanout, durable. Declaring first lets the bench subscribe before any worker ran.
            var exchange = $"Messaging.Contracts:{type}";
            await watcher._channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await watcher._channel.QueueBindAsync(queue, exchange, "");
        }
        var consumer = new AsyncEventingBasicConsumer(watcher._channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            watcher.OnMessage(delivery.Body.Span);
            return Task.CompletedTask;
        };
        await watcher._channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        return watcher;
    }

    private void OnMessage(ReadOnlySpan<byte> body)
    {
        var received = Stopwatch.GetTimestamp();
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var message = document.RootElement.GetProperty("message");
            var serviceId = message.GetProperty("serviceId").GetGuid();
            var created = message.TryGetProperty("containerId", out _);
            var outcome = new Outcome(
                created,
                message.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
                message.TryGetProperty("message", out var text) ? text.GetString() : null,
                message.TryGetProperty("hostPort", out var port) ? port.GetInt32() : 0,
                message.TryGetProperty(created ? "createdAt" : "failedAt", out var at) ? at.GetDateTimeOffset() : null,
                received) { Warm = message.TryGetProperty("warm", out var warm) && warm.ValueKind == JsonValueKind.True };
            _waiting.GetOrAdd(serviceId, _ => new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(outcome);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"[bench] unreadable event: {e.Message}");
        }
    }

    /// <summary>The outcome of a service (which may have arrived already).</summary>
    public async Task<Outcome> WaitAsync(Guid serviceId, TimeSpan timeout, CancellationToken cancel)
    {
        var source = _waiting.GetOrAdd(serviceId, _ => new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            return await source.Task.WaitAsync(timeout, cancel);
        }
        finally
        {
            _waiting.TryRemove(serviceId, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        await _connection.CloseAsync();
        _channel.Dispose();
        _connection.Dispose();
    }
}
