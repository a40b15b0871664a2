using Docker.DotNet.Models;

namespace Messaging.ComposeTests;

/// <summary>
/// Each process has only the rights its job needs: the socket in the worker alone (through the socket's
/// group, not root), the API and the audit host with no socket, no Docker CLI, no root, a read-only root
/// file system and no capabilities; the services' network lets containers not talk to each other.
/// </summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
public sealed class IsolationTests(ComposeStack stack)
{
    private const string NoSocket = "! test -e /var/run/docker.sock && ! test -e /run/docker.sock";

    [Fact]
    public async Task The_api_runs_as_a_non_root_user()
    {
        var uid = await Run("api", "id", "-u");
        var user = (await Inspect("api")).Config?.User;
        Assert.NotEqual("0", uid);
        Assert.NotEqual("", uid);
        Assert.False(string.IsNullOrEmpty(user) || user is "root" or "0", $"Config.User = '{user}'");
    }

    [Fact]
    public async Task The_api_has_no_docker_socket() => Assert.True((await Exec("api", "sh", "-c", NoSocket)).Succeeded);

    [Fact]
    public async Task The_api_mounts_nothing_of_the_engine() =>
        Assert.DoesNotContain((await Inspect("api")).Mounts ?? [], mount => $"{mount.Source}:{mount.Destination}".Contains("docker.sock"));

    [Fact]
    public async Task The_api_image_has_no_docker_CLI() =>
        Assert.True((await Exec("api", "sh", "-c", "! command -v docker >/dev/null && ! command -v dockerd >/dev/null")).Succeeded);

    [Fact]
    public async Task The_api_has_a_read_only_root_and_no_capabilities() => AssertLockedDown(await Inspect("api"));

    /// <summary>The memory setting the benchmark measured (docs/BENCHMARKS.md) reaches the processes that ship.</summary>
    [Fact]
    public async Task The_api_and_the_worker_run_with_the_GC_gen0_budget_of_their_images()
    {
        const string Gen0 = "tr '\\0' '\\n' </proc/1/environ | grep ^DOTNET_GCgen0size=";
        Assert.Equal("DOTNET_GCgen0size=0x600000", await Run("api", "sh", "-c", Gen0));
        Assert.Equal("DOTNET_GCgen0size=0x600000", await Run("worker", "sh", "-c", Gen0));
    }

    [Fact]
    public async Task The_worker_runs_as_a_non_root_user()
    {
        var uid = await Run("worker", "id", "-u");
        Assert.NotEqual("0", uid);
        Assert.NotEqual("", uid);
    }

    [Fact]
    public async Task The_worker_has_the_sockets_group_as_a_supplementary_group() =>
        Assert.Contains(stack.DockerGroup.ToString(), (await Run("worker", "id", "-G")).Split(' '));

    [Fact]
    public async Task The_worker_image_has_no_docker_CLI() =>
        Assert.True((await Exec("worker", "sh", "-c", "! command -v docker >/dev/null")).Succeeded);

    [Fact]
    public async Task The_workers_health_file_says_healthy() =>
        Assert.Equal("Healthy", await Run("worker", "cat", "/tmp/messaging-worker.health"));

    [Fact]
    public async Task The_audit_host_runs_as_a_non_root_user_with_no_supplementary_group()
    {
        var uid = await Run("audit", "id", "-u");
        var user = (await Inspect("audit")).Config?.User;
        Assert.NotEqual("0", uid);
        Assert.NotEqual("", uid);
        Assert.Equal(await Run("audit", "id", "-g"), await Run("audit", "id", "-G"));
        Assert.False(string.IsNullOrEmpty(user) || user is "root" or "0", $"Config.User = '{user}'");
    }

    [Fact]
    public async Task The_audit_host_has_no_docker_socket_and_mounts_nothing_of_the_engine()
    {
        Assert.True((await Exec("audit", "sh", "-c", NoSocket)).Succeeded);
        Assert.DoesNotContain((await Inspect("audit")).Mounts ?? [], mount => $"{mount.Source}:{mount.Destination}".Contains("docker.sock"));
    }

    [Fact]
    public async Task The_audit_host_has_a_read_only_root_no_capabilities_and_no_published_port()
    {
        var inspect = await Inspect("audit");
        AssertLockedDown(inspect);
        AssertNotPublished(inspect);
    }

    [Fact]
    public async Task The_audit_hosts_health_file_says_healthy() =>
        Assert.Equal("Healthy", await Run("audit", "cat", "/tmp/messaging-audit.health"));

    /// <summary>The worker makes the network (it is not declared in docker-compose.yml) with inter-container traffic off.</summary>
    /// <summary>Issue 21 item 1 (CIS 5.4, 5.13, 5.26): Redis and the broker as their images' users from the start, locked down like the processes.</summary>
    [Theory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    public async Task Redis_and_the_broker_run_non_root_on_a_read_only_root_without_capabilities_or_new_privileges(string service)
    {
        var inspect = await Inspect(service);
        AssertLockedDown(inspect);
        Assert.Contains("no-new-privileges:true", inspect.HostConfig?.SecurityOpt ?? []);
        Assert.Equal(service, inspect.Config?.User);
        Assert.NotEqual("0", await Run(service, "id", "-u"));
        Assert.Equal("1", await Run(service, "sh", "-c", "grep -c '^NoNewPrivs:[[:space:]]*1' /proc/1/status"));
        Assert.False((await Exec(service, "touch", "/etc/messaging-probe")).Succeeded, "the root file system is writable");
    }

    [Fact]
    public async Task The_proxy_network_has_inter_container_traffic_off()
    {
        stack.RequireHealthy();
        var network = await stack.Docker.Networks.InspectNetworkAsync(ComposeStack.ProxyNetwork);
        string? icc = null;
        network.Options?.TryGetValue("com.docker.network.bridge.enable_icc", out icc);
        Assert.Equal("false", icc);
    }

    internal static void AssertLockedDown(ContainerInspectResponse inspect)
    {
        Assert.True(inspect.HostConfig?.ReadonlyRootfs == true, "the root file system is writable");
        Assert.Equal(["ALL"], inspect.HostConfig?.CapDrop ?? []);
    }

    /// <summary>What <c>docker port</c> lists: no container port bound to one of the host's.</summary>
    internal static void AssertNotPublished(ContainerInspectResponse inspect) =>
        Assert.DoesNotContain(inspect.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>(), port => port.Value is { Count: > 0 });

    private Task<ContainerInspectResponse> Inspect(string service) => stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf(service));

    private Task<CommandResult> Exec(string service, params string[] command) => Commands.ExecAsync(stack.ContainerOf(service), command);

    /// <summary>The command's output, trimmed; fails the test when it fails.</summary>
    private async Task<string> Run(string service, params string[] command)
    {
        var result = await Exec(service, command);
        Assert.True(result.Succeeded, $"{string.Join(' ', command)} in {service} failed ({result.ExitCode}): {result.Text}");
        return result.Text;
    }
}
