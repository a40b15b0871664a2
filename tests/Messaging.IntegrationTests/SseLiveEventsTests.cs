using System.Net;
using System.Threading.Channels;
using Messaging.Contracts;
using Messaging.State;
using StackExchange.Redis;

namespace Messaging.IntegrationTests;

/// <summary>
/// <c>GET /api/v1/events</c> as a Server-Sent Events client sees it: its own services' events live, nobody
/// else's, and a reconnection with <c>Last-Event-ID</c> resumes right after the event it names.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SseLiveEventsTests(SystemFixture system)
{
    private sealed record SseEvent(string Id, string Type, string Data);

    /// <summary>Opens the stream and parses it in the background; returns once the server has sent its headers.</summary>
    private async Task<(HttpClient Client, ChannelReader<SseEvent> Events)> Open(string token, string? lastEventId = null)
    {
        var client = system.Api(token);
        client.Timeout = Timeout.InfiniteTimeSpan;
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var channel = Channel.CreateUnbounded<SseEvent>();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        _ = Task.Run(async () =>
        {
            string? id = null, type = null, data = null;
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (data is not null)
                            channel.Writer.TryWrite(new SseEvent(id ?? "", type ?? "message", data));
                        (id, type, data) = (null, null, null);
                    }
                    else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                    else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
            {
                // The test closed the connection.
            }
            channel.Writer.TryComplete();
        });
        return (client, channel.Reader);
    }

    /// <summary>Everything the stream sends until <paramref name="count"/> events about <paramref name="serviceId"/> came.</summary>
    private static async Task<List<SseEvent>> TakeAbout(ChannelReader<SseEvent> events, Guid serviceId, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var taken = new List<SseEvent>();
        while (taken.Count(e => e.Data.Contains(serviceId.ToString())) < count)
            taken.Add(await events.ReadAsync(timeout.Token));
        return taken;
    }

    private static List<SseEvent> About(IEnumerable<SseEvent> events, Guid serviceId) =>
        events.Where(e => e.Data.Contains(serviceId.ToString())).ToList();

    private async Task<Guid> SeedService(string owner)
    {
        var id = Guid.NewGuid();
        await new ServiceRecordStore(system.Redis.Multiplexer, new RedisKeys(system.KeyPrefix)).SaveAsync(new ServiceRecord
        {
            ServiceId = id, CommandId = Guid.NewGuid(), Name = $"sse-{id:N}"[..20], Image = "nginx:alpine", Owner = owner,
            Status = ServiceStatus.Running, MemoryLimit = "64m", MemoryBytes = 64 << 20, CpuLimit = 0.25,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        return id;
    }

    /// <summary>Publishes an event as the worker would and waits until the audit trail has it.</summary>
    private async Task Happen<T>(T message, Guid serviceId) where T : class
    {
        await system.Events.Publish(message);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await system.Redis.StreamRangeAsync(system.KeyPrefix + $"audit:service:{serviceId:D}"))
                   .Any(e => e["type"] == typeof(T).Name) && DateTime.UtcNow < deadline)
            await Task.Delay(25);
    }

    private static ServiceStopped Stopped(Guid id, string by) => new() { CommandId = Guid.NewGuid(), ServiceId = id, ServiceName = "sse", RequestedBy = by, At = DateTimeOffset.UtcNow };
    private static ServiceStarted Started(Guid id, string by) => new() { CommandId = Guid.NewGuid(), ServiceId = id, ServiceName = "sse", RequestedBy = by, At = DateTimeOffset.UtcNow };
    private static ServiceRestarted Restarted(Guid id, string by) => new() { CommandId = Guid.NewGuid(), ServiceId = id, ServiceName = "sse", RequestedBy = by, At = DateTimeOffset.UtcNow };

    [Fact]
    public async Task A_client_receives_its_own_services_events_live_and_none_of_another_owners()
    {
        var alices = await SeedService("alice");
        var bobs = await SeedService("bob");
        var (client, events) = await Open(SystemFixture.AliceToken);
        using var _ = client;

        // Bob's event is in the trail before Alice's: had it not been filtered out, it would arrive first.
        await Happen(Stopped(bobs, "bob"), bobs);
        await Happen(Stopped(alices, "alice"), alices);
        await Happen(Started(alices, "alice"), alices);

        // Alice's other services (of tests running beside this one) may interleave theirs: none may be Bob's.
        var all = await TakeAbout(events, alices, 2);
        Assert.All(all, e => Assert.DoesNotContain(bobs.ToString(), e.Data));
        var received = About(all, alices);
        Assert.Equal(["ServiceStopped", "ServiceStarted"], received.Select(e => e.Type));
        Assert.All(received, e => Assert.Matches(@"^\d+-\d+$", e.Id));
    }

    [Fact]
    public async Task A_reconnection_with_Last_Event_ID_gets_only_the_events_after_it()
    {
        var alices = await SeedService("alice");
        var (first, events) = await Open(SystemFixture.AliceToken);
        await Happen(Stopped(alices, "alice"), alices);
        await Happen(Started(alices, "alice"), alices);
        // Only this service's: Alice's other services (of tests running beside this one) may interleave theirs.
        var seen = About(await TakeAbout(events, alices, 2), alices);
        first.Dispose();

        // While disconnected, something else happens.
        await Happen(Restarted(alices, "alice"), alices);

        var (second, resumed) = await Open(SystemFixture.AliceToken, lastEventId: seen[0].Id);
        using var _ = second;
        var after = About(await TakeAbout(resumed, alices, 2), alices);
        Assert.Equal(["ServiceStarted", "ServiceRestarted"], after.Select(e => e.Type));
        Assert.Equal(seen[1].Id, after[0].Id);
        Assert.DoesNotContain(after[1].Id, seen.Select(e => e.Id));
    }
}
