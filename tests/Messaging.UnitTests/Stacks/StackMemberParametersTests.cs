using Messaging.Worker.Containers;

namespace Messaging.UnitTests.Stacks;

/// <summary>What differs for a stack member on the engine: no published port unless it is the public entry, and its name on the stack's network.</summary>
public sealed class StackMemberParametersTests
{
    [Fact]
    public void A_member_without_a_host_port_publishes_nothing_but_keeps_the_hardening()
    {
        var spec = ContainerSpecBuilderTests.Build() with { Port = new PublishedPort(6379, "127.0.0.1", 0) };
        var parameters = DockerCreateParameters.From(spec);

        Assert.Empty(parameters.HostConfig!.PortBindings);
        Assert.False(parameters.HostConfig.PublishAllPorts);
        Assert.Contains("6379/tcp", parameters.ExposedPorts!.Keys);
        Assert.Equal(["ALL"], parameters.HostConfig.CapDrop);
        Assert.Contains("no-new-privileges", parameters.HostConfig.SecurityOpt);
    }

    [Fact]
    public void A_member_answers_to_its_compose_name_on_its_stack_network_only()
    {
        var spec = ContainerSpecBuilderTests.Build() with { Network = "it-stack-1", NetworkAliases = ["db"] };
        var parameters = DockerCreateParameters.From(spec);

        Assert.Equal("it-stack-1", parameters.HostConfig!.NetworkMode);
        var endpoint = Assert.Single(parameters.NetworkingConfig!.EndpointsConfig);
        Assert.Equal("it-stack-1", endpoint.Key);
        Assert.Equal(["db"], endpoint.Value.Aliases);
    }

    [Fact]
    public void A_plain_service_gets_no_networking_config_and_its_port_published()
    {
        var parameters = DockerCreateParameters.From(ContainerSpecBuilderTests.Build());
        Assert.Null(parameters.NetworkingConfig);
        Assert.NotEmpty(parameters.HostConfig!.PortBindings);
        Assert.Null(parameters.Cmd); // the image's own command and entrypoint
        Assert.Null(parameters.Entrypoint);
    }

    [Fact]
    public void A_permitted_member_command_and_entrypoint_replace_the_image_s_and_the_hardening_stays()
    {
        var spec = ContainerSpecBuilderTests.Build() with { Entrypoint = ["/bin/sh", "-c"], Command = ["echo hi"] };
        var parameters = DockerCreateParameters.From(spec);

        Assert.Equal(["/bin/sh", "-c"], parameters.Entrypoint);
        Assert.Equal(["echo hi"], parameters.Cmd);
        Assert.Equal(spec.User, parameters.User);
        Assert.Equal(["ALL"], parameters.HostConfig!.CapDrop);
        Assert.True(parameters.HostConfig.ReadonlyRootfs);
    }
}
