using Docker.DotNet.Models;
using Messaging.Contracts;

namespace Messaging.IntegrationTests.Swarm;

/// <summary>
/// The hostile suite with <c>Scheduler:Mode=swarm</c> (issue 18): every command of <see
/// cref="SecurityEndToEndTests.HostileCommands"/>, published straight to the broker, ends as a failure event with a
/// reason code and leaves neither a Swarm service nor a container behind. The worker judges a command before any
/// scheduler sees it; this shows it for the swarm adapter too.
/// </summary>
[Collection(SwarmCollection.Name)]
[Trait("Category", "Swarm")]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SwarmHostileTests(SwarmFixture system)
{
    public static TheoryData<string, string> HostileCommands => SecurityEndToEndTests.HostileCommands;

    [Theory]
    [MemberData(nameof(HostileCommands))]
    public async Task A_hostile_command_ends_as_a_failure_event_never_a_swarm_service(string description, string overrides)
    {
        var command = SecurityEndToEndTests.HostileCreate(overrides);

        await system.Events.Publish(command);
        var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.CommandId == command.CommandId);

        Assert.Contains(failed.Reason, FailureReasons.All);
        Assert.NotEqual(FailureReasons.DockerError, failed.Reason);
        var label = $"messaging.service-id={command.ServiceId:D}";
        var services = await system.Docker.Swarm.ListServicesAsync(new ServiceListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
        });
        Assert.Empty(services);
        Assert.DoesNotContain(await system.OurContainers(), c => c.Labels["messaging.service-id"] == command.ServiceId.ToString("D"));
        Assert.Empty(system.Events.All<ServiceCreated>(e => e.CommandId == command.CommandId));
        _ = description;
    }
}
