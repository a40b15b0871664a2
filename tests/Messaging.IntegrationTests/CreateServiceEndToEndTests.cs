using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MassTransit;
using Messaging.Contracts;

namespace Messaging.IntegrationTests;

[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class CreateServiceEndToEndTests(SystemFixture system)
{
    private static StringContent Body(string name, string image = "nginx:alpine", string memory = "128m", double cpus = 0.5) =>
        new($$"""{"service_name":"{{name}}","image":"{{image}}","memory_limit":"{{memory}}","cpu_limit":{{cpus}}}""",
            Encoding.UTF8, "application/json");

    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task The_original_curl_yields_a_running_container_that_answers_on_its_host_port()
    {
        var name = UniqueName("it-nginx");
        using var api = system.Api();

        var response = await api.PostAsync("/api/v1/services", Body(name));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var serviceId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();

        var created = await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == serviceId);
        Assert.Equal(name, created.ServiceName);
        Assert.InRange(created.HostPort, SystemFixture.PortMin, SystemFixture.PortMax);

        var page = await ServingPort.GetStringAsync(created.HostPort);
        Assert.Contains("messaging test image nginx:alpine", page);

        var record = await api.GetFromJsonAsync<JsonElement>(response.Headers.Location!.OriginalString);
        Assert.Equal("running", record.GetProperty("status").GetString());
        Assert.Equal(created.HostPort, record.GetProperty("host_port").GetInt32());
        Assert.Equal(created.ContainerId, record.GetProperty("container_id").GetString());

        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        // The instance prefixes the container name on the shared engine; the API and the event keep the service name.
        Assert.Equal($"/{SystemFixture.Instance}-{name}", inspect.Name);
        Assert.True(inspect.State!.Running);
        Assert.Equal(serviceId.ToString("D"), inspect.Config!.Labels["messaging.service-id"]);
        Assert.Equal("admin", inspect.Config.Labels["messaging.owner"]);
        Assert.Equal(128L * 1024 * 1024, inspect.HostConfig!.Memory);
        Assert.Equal(inspect.HostConfig.Memory, inspect.HostConfig.MemorySwap);
        Assert.Equal(500_000_000L, inspect.HostConfig.NanoCPUs);
        Assert.False(inspect.HostConfig.Privileged);
        Assert.Contains("no-new-privileges", inspect.HostConfig.SecurityOpt);
        Assert.True(inspect.HostConfig.PidsLimit > 0);
        Assert.Empty(inspect.HostConfig.Binds ?? []);
        Assert.Equal("proxy_network", inspect.HostConfig.NetworkMode);
        var binding = Assert.Single(inspect.HostConfig.PortBindings["80/tcp"]);
        Assert.Equal("127.0.0.1", binding.HostIP);
    }

    [Fact]
    public async Task A_disallowed_image_fails_with_image_not_allowed_and_no_container()
    {
        var name = UniqueName("it-denied");
        using var api = system.Api();

        var response = await api.PostAsync("/api/v1/services", Body(name, image: "ubuntu:latest"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var serviceId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();

        var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.ServiceId == serviceId);
        Assert.Equal(FailureReasons.ImageNotAllowed, failed.Reason);

        var record = await api.GetFromJsonAsync<JsonElement>(response.Headers.Location!.OriginalString);
        Assert.Equal("failed", record.GetProperty("status").GetString());
        Assert.Equal("image_not_allowed", record.GetProperty("failure").GetProperty("code").GetString());
        Assert.Empty(await system.OurContainers(name));
    }

    [Fact]
    public async Task A_command_published_straight_to_the_broker_with_memory_over_the_cap_fails_and_runs_nothing()
    {
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(),
            ServiceId = Guid.NewGuid(),
            ServiceName = UniqueName("it-greedy"),
            Image = "nginx:alpine",
            MemoryLimit = "8g",
            CpuLimit = 0.5,
            RequestedBy = "billing-system",
            RequestedAt = DateTimeOffset.UtcNow,
        };
        await system.Events.Publish(command);

        var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId);
        Assert.Equal(FailureReasons.LimitExceeded, failed.Reason);
        Assert.Equal(command.CommandId, failed.CommandId);
        Assert.Empty(await system.OurContainers(command.ServiceName));
    }

    [Fact]
    public async Task A_hostile_command_published_straight_to_the_broker_is_refused()
    {
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(),
            ServiceId = Guid.NewGuid(),
            ServiceName = "../../../etc",
            Image = "nginx:alpine",
            MemoryLimit = "128m",
            CpuLimit = 0.5,
            Env = new Dictionary<string, string> { ["LD_PRELOAD=/x"] = "y" },
            RequestedBy = "billing-system",
            RequestedAt = DateTimeOffset.UtcNow,
        };
        await system.Events.Publish(command);

        var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId);
        Assert.Equal(FailureReasons.InvalidCommand, failed.Reason);
        Assert.DoesNotContain(await system.OurContainers(), c => c.Labels["messaging.service-id"] == command.ServiceId.ToString("D"));
    }

    [Fact]
    public async Task A_valid_command_from_another_system_runs_under_that_system_as_owner()
    {
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(),
            ServiceId = Guid.NewGuid(),
            ServiceName = UniqueName("it-system"),
            Image = "docker.io/library/nginx:alpine",
            MemoryLimit = "64m",
            CpuLimit = 0.25,
            RequestedBy = "billing-system",
            RequestedAt = DateTimeOffset.UtcNow,
        };
        await system.Events.Publish(command);

        var created = await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == command.ServiceId);
        Assert.Equal("billing-system", created.Owner);
        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.Equal("billing-system", inspect.Config!.Labels["messaging.owner"]);
        Assert.Equal(64L * 1024 * 1024, inspect.HostConfig!.Memory);
    }
}
