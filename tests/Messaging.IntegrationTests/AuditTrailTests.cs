using Messaging.State;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Messaging.IntegrationTests;

/// <summary>The audit host records every command and event of a real run; the API reads it back, to the right people only.</summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class AuditTrailTests(SystemFixture system)
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<Guid> Create(HttpClient api, string name)
    {
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);
        return id;
    }

    private static async Task<Guid> Send(HttpClient api, HttpMethod method, string path)
    {
        var response = await api.SendAsync(new HttpRequestMessage(method, path));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
    }

    /// <summary>Reads the service's events until there are <paramref name="count"/> (the audit host is asynchronous).</summary>
    private static async Task<List<JsonElement>> EventsOf(HttpClient api, Guid id, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<JsonElement> items;
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events?limit=200");
            items = [.. page.GetProperty("items").EnumerateArray()];
        } while (items.Count < count && DateTime.UtcNow < deadline && await Task.Delay(100).ContinueWith(_ => true));
        return items;
    }

    [Fact]
    public async Task Environment_values_never_reach_the_trail_only_their_names()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var response = await alice.PostAsync("/api/v1/services", new StringContent(
            $$$"""{"service_name":"{{{UniqueName("it-env")}}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25,"env":{"DB_PASSWORD":"{{{secret}}}"}}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);

        var command = (await EventsOf(alice, id, 2)).Single(i => i.GetProperty("type").GetString() == "CreateService");
        Assert.Equal("[redacted]", command.GetProperty("message").GetProperty("env").GetProperty("DB_PASSWORD").GetString());
        var trail = await system.Redis.StreamRangeAsync(new RedisKeys(system.KeyPrefix).Audit);
        Assert.DoesNotContain(trail, e => e.Values.Any(v => v.Value.ToString().Contains(secret, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_stack_s_commands_and_events_are_in_its_trail_for_its_owner_and_its_file_s_secrets_are_not()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var response = await alice.PostAsJsonAsync("/api/v1/stacks", new
        {
            name = UniqueName("it-stack")[..16],
            compose_file = $"services:\n  web:\n    image: nginx:alpine\n    environment:\n      DB_PASSWORD: {secret}\n",
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stackId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stack_id").GetGuid();
        await system.Events.WaitFor<StackCreated>(e => e.StackId == stackId, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/v1/stacks/{stackId}")).StatusCode);
        await system.Events.WaitFor<StackRemoved>(e => e.StackId == stackId);

        string[] expected = ["CreateStack", "StackCreated", "RemoveStack", "StackRemoved"];
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<JsonElement> items;
        do
        {
            var page = await alice.GetFromJsonAsync<JsonElement>($"/api/v1/stacks/{stackId}/events?limit=50");
            items = [.. page.GetProperty("items").EnumerateArray()];
        } while (items.Count < expected.Length && DateTime.UtcNow < deadline && await Task.Delay(100).ContinueWith(_ => true));
        Assert.Equal(expected, items.Select(i => i.GetProperty("type").GetString()));
        Assert.All(items, i =>
        {
            Assert.Equal(stackId, i.GetProperty("stack_id").GetGuid());
            Assert.Equal("alice", i.GetProperty("owner").GetString());
            Assert.Equal("alice", i.GetProperty("actor").GetString());
        });
        Assert.StartsWith("[redacted]", items[0].GetProperty("message").GetProperty("compose_file").GetString());
        var trail = await system.Redis.StreamRangeAsync(new RedisKeys(system.KeyPrefix).Audit);
        Assert.DoesNotContain(trail, e => e.Values.Any(v => v.Value.ToString().Contains(secret, StringComparison.Ordinal)));

        // Someone else's stack is not theirs to read; the admin's query finds the same entries by type.
        using var bob = system.Api(SystemFixture.BobToken);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/stacks/{stackId}/events")).StatusCode);
        using var admin = system.Api();
        var created = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?type=StackCreated&actor=alice&limit=200");
        Assert.Contains(created.GetProperty("items").EnumerateArray(), i => i.GetProperty("stack_id").GetGuid() == stackId);
    }

    [Fact]
    public async Task Every_command_and_event_of_a_create_stop_remove_run_is_in_the_trail_in_order()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var id = await Create(alice, UniqueName("it-audit"));
        var stop = await Send(alice, HttpMethod.Post, $"/api/v1/services/{id}/stop");
        await system.Events.WaitFor<ServiceStopped>(e => e.CommandId == stop);
        var remove = await Send(alice, HttpMethod.Delete, $"/api/v1/services/{id}");
        await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove);

        string[] expected = ["CreateService", "ServiceCreated", "StopService", "ServiceStopped", "RemoveService", "ServiceRemoved"];
        var items = await EventsOf(alice, id, expected.Length);
        Assert.Equal(expected, items.Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(["command", "event", "command", "event", "command", "event"], items.Select(i => i.GetProperty("kind").GetString()));
        Assert.All(items, i =>
        {
            Assert.Equal("alice", i.GetProperty("actor").GetString());
            Assert.Equal("alice", i.GetProperty("owner").GetString());
            Assert.Equal(id, i.GetProperty("service_id").GetGuid());
            // MassTransit carries the command id as the correlation id, from the command to its event.
            Assert.Equal(i.GetProperty("command_id").GetGuid().ToString(), i.GetProperty("correlation_id").GetString());
            Assert.Equal(id, i.GetProperty("message").GetProperty("service_id").GetGuid());
        });
        Assert.Equal(stop, items[2].GetProperty("command_id").GetGuid());
        Assert.Equal(stop, items[3].GetProperty("command_id").GetGuid());
        Assert.Equal(remove, items[5].GetProperty("command_id").GetGuid());

        // The whole trail holds the same entries (same ids), in the same order.
        var trail = await system.Redis.StreamRangeAsync(new RedisKeys(system.KeyPrefix).Audit);
        var ours = trail.Where(e => e["service_id"] == id.ToString("D")).ToList();
        Assert.Equal(expected, ours.Select(e => e["type"].ToString()));
        Assert.Equal(items.Select(i => i.GetProperty("id").GetString()), ours.Select(e => e.Id.ToString()));
    }

    [Fact]
    public async Task A_services_events_are_shown_to_its_owner_and_admins_and_are_not_found_for_anyone_else()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        using var bob = system.Api(SystemFixture.BobToken);
        using var admin = system.Api();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var id = await Create(alice, UniqueName("it-audit-own"));
        Assert.Equal(2, (await EventsOf(alice, id, 2)).Count);

        var refused = await bob.GetAsync($"/api/v1/services/{id}/events");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, (await EventsOf(admin, id, 2)).Count);

        // The admin's query of the whole trail, filtered; other callers may not run it.
        var query = await admin.GetFromJsonAsync<JsonElement>(
            $"/api/v1/audit?actor=alice&type=CreateService&since={Uri.EscapeDataString(since.ToString("O"))}&limit=200");
        Assert.Contains(query.GetProperty("items").EnumerateArray(), i => i.GetProperty("service_id").GetGuid() == id);
        Assert.All(query.GetProperty("items").EnumerateArray(), i => Assert.Equal("CreateService", i.GetProperty("type").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/api/v1/audit")).StatusCode);
    }

    /// <summary>
    /// An event is recorded only when it came through its own type's exchange, which only the worker may write.
    /// A system allowed to publish commands (infra/rabbitmq/add-publisher.sh) can still put an envelope typed
    /// <c>ServiceRemoved</c> on a command exchange; the <c>audit</c> queue is bound to those too.
    /// </summary>
    [Fact]
    public async Task An_event_published_through_a_command_exchange_is_not_recorded_while_the_genuine_one_is()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var id = await Create(alice, UniqueName("it-audit-forged"));

        await using var connection = await RawAmqp.ConnectAsync();
        await using var channel = await RawAmqp.ConfirmingChannelAsync(connection);
        var forgedRemoved = Guid.NewGuid();
        var forgedStopped = Guid.NewGuid();
        await PublishThrough(channel, "CreateService", "ServiceRemoved", new
        {
            commandId = forgedRemoved, serviceId = id, serviceName = "forged", hostPort = 19001, requestedBy = "alice", at = DateTimeOffset.UtcNow,
        });
        await PublishThrough(channel, "RemoveService", "ServiceStopped", new
        {
            commandId = forgedStopped, serviceId = id, serviceName = "forged", requestedBy = "alice", at = DateTimeOffset.UtcNow,
        });

        // The genuine removal comes after the forgeries on the same queue, which the audit host reads in order:
        // once its event is in the trail, the forgeries have been dealt with.
        var remove = await Send(alice, HttpMethod.Delete, $"/api/v1/services/{id}");
        await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove);
        var items = await EventsOf(alice, id, 4);

        Assert.Equal(["CreateService", "ServiceCreated", "RemoveService", "ServiceRemoved"], items.Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(remove, items[3].GetProperty("command_id").GetGuid());
        var trail = await system.Redis.StreamRangeAsync(system.KeyPrefix + "audit");
        Assert.DoesNotContain(trail, e => e["command_id"] == forgedRemoved.ToString("D") || e["command_id"] == forgedStopped.ToString("D"));
    }

    /// <summary>Publishes an envelope typed <paramref name="messageType"/> to the exchange of <paramref name="exchangeOf"/>.</summary>
    private static async Task PublishThrough(IChannel channel, string exchangeOf, string messageType, object message)
    {
        var properties = new BasicProperties { ContentType = RawAmqp.ContentType, DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync(RawAmqp.Exchange(exchangeOf), routingKey: "", mandatory: false, basicProperties: properties,
            body: RawAmqp.Envelope(messageType, message));
    }
}
