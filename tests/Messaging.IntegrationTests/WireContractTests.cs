using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;

namespace Messaging.IntegrationTests;

/// <summary>
/// The shape interfaces of Messaging.Contracts (<see cref="IServiceCommand"/>, <see cref="IServiceEvent"/>...) leave
/// the wire as docs/CONTRACTS.md describes it: envelopes name their own type only, and the broker has no exchange
/// for any interface (asked through RabbitMQ's management API, which sees everything every host declared).
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class WireContractTests(SystemFixture system)
{
    private static readonly string[] Watched = ["CreateService", "ServiceCreated", "StopService", "ServiceStopped"];

    [Fact]
    public async Task Commands_and_events_name_only_their_own_type_and_no_exchange_exists_for_the_shape_interfaces()
    {
        await using var connection = await RawAmqp.ConnectAsync();
        await using var channel = await RawAmqp.ConfirmingChannelAsync(connection);
        var queue = await channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true);
        foreach (var type in Watched)
            await channel.QueueBindAsync(queue.QueueName, RawAmqp.Exchange(type), routingKey: "");

        // A command from the API and the worker's event, twice over: CreateService, ServiceCreated, StopService, ServiceStopped.
        using var api = system.Api(SystemFixture.AliceToken);
        var created = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{$"it-wire-{Guid.NewGuid():N}"[..20]}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsync($"/api/v1/services/{id}/stop", null)).StatusCode);

        foreach (var type in Watched)
        {
            var envelope = await RawAmqp.WaitForAsync(channel, queue.QueueName,
                e => e.GetProperty("message").GetProperty("serviceId").GetGuid() == id
                    && e.GetProperty("messageType")[0].GetString() == $"urn:message:Messaging.Contracts:{type}",
                TimeSpan.FromSeconds(30));
            Assert.Equal([$"urn:message:Messaging.Contracts:{type}"], envelope.GetProperty("messageType").EnumerateArray().Select(t => t.GetString()));
        }

        var exchanges = await ExchangeNames();
        Assert.All(Watched, type => Assert.Contains($"Messaging.Contracts:{type}", exchanges));
        var shapes = typeof(IServiceCommand).Assembly.GetExportedTypes().Where(t => t.IsInterface).Select(t => t.Name).ToList();
        Assert.NotEmpty(shapes);
        Assert.All(shapes, shape => Assert.DoesNotContain(exchanges, name => name.EndsWith(shape, StringComparison.Ordinal)));
    }

    /// <summary>Every exchange of the default virtual host, from the management API (guest/guest on localhost:15672).</summary>
    private static async Task<List<string>> ExchangeNames()
    {
        using var management = new HttpClient { BaseAddress = new Uri("http://localhost:15672/") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        var exchanges = await management.GetFromJsonAsync<JsonElement>("api/exchanges/%2F?columns=name");
        return [.. exchanges.EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
    }
}
