using Messaging.State;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts;
using Messaging.Worker.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.IntegrationTests;

[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class LifecycleEndToEndTests(SystemFixture system)
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<(Guid Id, ServiceCreated Created)> Create(HttpClient api, string name)
    {
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        return (id, await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id));
    }

    private static async Task<Guid> Send(HttpClient api, HttpMethod method, string path)
    {
        var response = await api.SendAsync(new HttpRequestMessage(method, path));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
    }

    private async Task<bool> Running(string containerId) =>
        (await system.Docker.Containers.InspectContainerAsync(containerId)).State!.Running;

    private async Task<string> Status(HttpClient api, Guid id) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}")).GetProperty("status").GetString()!;

    [Fact]
    public async Task Create_stop_start_restart_remove_changes_the_real_container_and_frees_the_port()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("it-life"));
        Assert.True(await Running(created.ContainerId));

        var stop = await Send(api, HttpMethod.Post, $"/api/v1/services/{id}/stop");
        await system.Events.WaitFor<ServiceStopped>(e => e.CommandId == stop);
        Assert.False(await Running(created.ContainerId));
        Assert.Equal("stopped", await Status(api, id));

        var start = await Send(api, HttpMethod.Post, $"/api/v1/services/{id}/start");
        await system.Events.WaitFor<ServiceStarted>(e => e.CommandId == start);
        Assert.True(await Running(created.ContainerId));
        Assert.Contains("messaging test image", await ServingPort.GetStringAsync(created.HostPort));

        var before = (await system.Docker.Containers.InspectContainerAsync(created.ContainerId)).State!.StartedAt;
        var restart = await Send(api, HttpMethod.Post, $"/api/v1/services/{id}/restart");
        await system.Events.WaitFor<ServiceRestarted>(e => e.CommandId == restart);
        var after = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.True(after.State!.Running);
        Assert.NotEqual(before, after.State.StartedAt);

        var remove = await Send(api, HttpMethod.Delete, $"/api/v1/services/{id}");
        var removed = await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove);
        Assert.Equal(created.HostPort, removed.HostPort);
        Assert.Empty(await system.OurContainers(created.ServiceName));
        Assert.False(await system.Redis.HashExistsAsync(new RedisKeys(system.KeyPrefix).Ports, created.HostPort));
        Assert.Equal("removed", await Status(api, id));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{created.HostPort}/"));
    }

    [Fact]
    public async Task A_removed_services_name_can_be_used_again()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var name = UniqueName("it-reuse");
        var (first, _) = await Create(api, name);
        var remove = await Send(api, HttpMethod.Delete, $"/api/v1/services/{first}");
        await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove);

        var (second, created) = await Create(api, name);
        Assert.NotEqual(first, second);
        Assert.Equal(name, created.ServiceName);
        Assert.Single(await system.OurContainers(name));
    }

    [Fact]
    public async Task Another_owner_can_neither_see_nor_change_a_service()
    {
        using var alice = system.Api(SystemFixture.AliceToken);
        using var bob = system.Api(SystemFixture.BobToken);
        var (id, created) = await Create(alice, UniqueName("it-mine"));

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/services/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/v1/services/{id}/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/v1/services/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/v1/services/{id}/logs")).StatusCode);
        var bobsList = await bob.GetFromJsonAsync<JsonElement>("/api/v1/services?limit=200");
        Assert.DoesNotContain(bobsList.GetProperty("items").EnumerateArray(), i => i.GetProperty("service_id").GetGuid() == id);
        Assert.True(await Running(created.ContainerId));
    }

    [Fact]
    public async Task Logs_return_what_the_container_wrote()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var (id, created) = await Create(api, UniqueName("it-logs"));
        // busybox httpd -v logs one line per request with its status: make one of each.
        (await ServingPort.GetAsync(created.HostPort)).Dispose();
        (await ServingPort.GetAsync(created.HostPort, "/missing")).Dispose();

        // httpd writes its access line asynchronously; give it a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<string> lines;
        do
        {
            var logs = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/logs?tail=20");
            lines = logs.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToList();
        } while (!lines.Any(l => l.Contains("response:404")) && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));
        Assert.Contains(lines, l => l.Contains("response:200"));
        Assert.Contains(lines, l => l.Contains("response:404"));
        Assert.True(lines.Count <= 20);
    }

    [Fact]
    public async Task The_same_CreateService_published_twice_and_twice_at_once_yields_one_container()
    {
        CreateService Command() => new()
        {
            CommandId = NewId.NextGuid(), ServiceId = Guid.NewGuid(), ServiceName = UniqueName("it-dup"),
            Image = "nginx:alpine", MemoryLimit = "64m", CpuLimit = 0.25, RequestedBy = "billing-system", RequestedAt = DateTimeOffset.UtcNow,
        };

        var sequential = Command();
        await system.Events.Publish(sequential);
        await system.Events.WaitFor<ServiceCreated>(e => e.CommandId == sequential.CommandId);
        await system.Events.Publish(sequential);

        var concurrent = Command();
        await Task.WhenAll(system.Events.Publish(concurrent), system.Events.Publish(concurrent));

        foreach (var command in new[] { sequential, concurrent })
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (system.Events.All<ServiceCreated>(e => e.CommandId == command.CommandId).Count < 2 && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            var events = system.Events.All<ServiceCreated>(e => e.CommandId == command.CommandId);
            Assert.Equal(2, events.Count);
            Assert.Equal(events[0].ContainerId, events[1].ContainerId);
            Assert.Equal(events[0].HostPort, events[1].HostPort);
            Assert.Single(await system.OurContainers(command.ServiceName));
            Assert.Empty(system.Events.All<ServiceCreationFailed>(e => e.CommandId == command.CommandId));
        }
    }

    [Fact]
    public async Task An_interrupted_removal_is_resumed_by_a_new_remove_and_finished_by_the_reconciler_once_stale()
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var records = system.WorkerServices.GetRequiredService<ServiceRecordStore>();
        var keys = new RedisKeys(system.KeyPrefix);
        // Two removals cut short between the status write and the engine call: the records say removing, the containers run.
        var (resumed, resumedCreated) = await Create(api, UniqueName("it-cut-a"));
        var (stale, staleCreated) = await Create(api, UniqueName("it-cut-b"));
        await records.BeginRemovalAsync(resumed, ServiceStatus.Running, NewId.NextGuid(), "alice", DateTimeOffset.UtcNow);
        var staleCommand = NewId.NextGuid();
        await records.BeginRemovalAsync(stale, ServiceStatus.Running, staleCommand, "alice", DateTimeOffset.UtcNow - TimeSpan.FromHours(1));

        // A DELETE of a service left removing is accepted (it was 409 wrong_state) and finishes the removal.
        var remove = await Send(api, HttpMethod.Delete, $"/api/v1/services/{resumed}");
        await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == remove);
        Assert.Empty(await system.OurContainers(resumedCreated.ServiceName));
        Assert.Equal("removed", await Status(api, resumed));

        // The one nobody asks about again: the reconciler removes the real container, frees the port and answers its command.
        await system.WorkerServices.GetRequiredService<Reconciler>().ReconcileAsync(default);
        var removed = await system.Events.WaitFor<ServiceRemoved>(e => e.CommandId == staleCommand);
        Assert.Equal(staleCreated.HostPort, removed.HostPort);
        Assert.Empty(await system.OurContainers(staleCreated.ServiceName));
        Assert.Equal("removed", await Status(api, stale));
        foreach (var created in new[] { resumedCreated, staleCreated })
        {
            Assert.False(await system.Redis.HashExistsAsync(keys.Ports, created.HostPort));
            Assert.False(await system.Redis.HashExistsAsync(keys.Names, created.ServiceName));
            Assert.False(await system.Redis.HashExistsAsync(keys.ServiceUsage, created.ServiceId.ToString("D")));
        }
    }
}
