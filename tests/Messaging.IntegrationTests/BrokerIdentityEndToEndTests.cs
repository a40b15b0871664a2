using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Contracts;
using RabbitMQ.Client;

namespace Messaging.IntegrationTests;

/// <summary>
/// The raw-AMQP hostile suite for identity: a publisher user made by infra/rabbitmq/add-publisher.sh acts as
/// system:&lt;user&gt; on its own services only, whatever requestedBy it writes, and cannot forge user_id.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class BrokerIdentityEndToEndTests(SystemFixture system) : IAsyncLifetime
{
    private readonly string _user = $"it-sys-{Guid.NewGuid():N}"[..20];
    private readonly string _password = $"pw-{Guid.NewGuid():N}";
    private IConnection _connection = null!;

    public async Task InitializeAsync()
    {
        var (code, output) = await PublisherPermissionsTests.Run("bash", [PublisherPermissionsTests.Script(), _user],
            new() { ["PUBLISHER_PASSWORD"] = _password });
        Assert.True(code == 0, output);
        _connection = await RawAmqp.ConnectAsync(_user, _password);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "delete_user", _user]);
    }

    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<(Guid Id, ServiceCreated Created)> AlicesService()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        var response = await alice.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{UniqueName("it-victim")}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        return (id, await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id));
    }

    private async Task<Guid> Publish(string type, Guid serviceId, string requestedBy, string? userId)
    {
        var commandId = Guid.NewGuid();
        await using var channel = await RawAmqp.ConfirmingChannelAsync(_connection);
        await RawAmqp.PublishAsync(channel, type, new { commandId, serviceId, requestedBy, requestedAt = DateTimeOffset.UtcNow }, userId);
        return commandId;
    }

    public static TheoryData<string, string> ForeignCommands()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in new[] { "StopService", "RestartService", "RemoveService" })
            foreach (var claimed in new[] { "admin", "alice", "system:billing-system" })
                data.Add(type, claimed);
        return data;
    }

    [Theory]
    [MemberData(nameof(ForeignCommands))]
    public async Task A_system_cannot_act_on_another_owners_service_whatever_requestedBy_says(string type, string claimed)
    {
        var (id, created) = await AlicesService();
        var commandId = await Publish(type, id, claimed, _user);

        var rejected = await system.Events.WaitFor<ServiceCommandRejected>(e => e.CommandId == commandId, TimeSpan.FromSeconds(30));
        Assert.Equal(RejectionReasons.NotFound, rejected.Reason);
        Assert.True((await system.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.Running);
        using var alice = system.Api(SystemFixture.AliceToken);
        Assert.Equal("running", (await alice.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}")).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("StopService")]
    [InlineData("RemoveService")]
    public async Task A_command_without_user_id_is_refused_and_changes_nothing(string type)
    {
        var (id, created) = await AlicesService();
        var commandId = await Publish(type, id, "alice", userId: null);

        var rejected = await system.Events.WaitFor<ServiceCommandRejected>(e => e.CommandId == commandId, TimeSpan.FromSeconds(30));
        Assert.Equal(RejectionReasons.InvalidCommand, rejected.Reason);
        Assert.True((await system.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.Running);
    }

    [Theory]
    [InlineData("guest")]
    [InlineData("admin")]
    public async Task RabbitMQ_refuses_a_user_id_that_is_not_the_connections_user(string forged)
    {
        var (id, created) = await AlicesService();
        await Assert.ThrowsAnyAsync<Exception>(() => Publish("RemoveService", id, "alice", forged));
        await Task.Delay(1000);
        Assert.True((await system.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.Running);
    }

    [Fact]
    public async Task A_system_creates_as_itself_and_may_remove_only_that()
    {
        var serviceId = Guid.NewGuid();
        var name = UniqueName("it-sys");
        await using (var channel = await RawAmqp.ConfirmingChannelAsync(_connection))
            await RawAmqp.PublishAsync(channel, "CreateService", RawAmqp.CreateService(serviceId, name, requestedBy: "alice"), _user);

        var created = await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == serviceId);
        Assert.Equal($"system:{_user}", created.Owner);
        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.Equal($"system:{_user}", inspect.Config!.Labels["messaging.owner"]);
        using var alice = system.Api(SystemFixture.AliceToken);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/v1/services/{serviceId}")).StatusCode);

        var remove = await Publish("RemoveService", serviceId, "whoever", _user);
        var removed = await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove);
        Assert.Equal($"system:{_user}", removed.RequestedBy);
        Assert.Empty(await system.OurContainers(name));
    }
}
