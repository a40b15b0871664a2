using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;

namespace Messaging.ComposeTests;

/// <summary>
/// The edge in docker-compose.yml: Caddy (edge-proxy, in the host's network namespace) serves every running service at
/// https://&lt;name&gt;.<see cref="ComposeStack.EdgeDomain"/> and the API at https://api.…, with a certificate of
/// its internal CA; the edge host drives it through a unix socket that only the two edge containers mount. Services
/// still cannot reach each other, nor the admin endpoint, and nothing else of the stack faces the network.
/// </summary>
[Collection(ComposeCollection.Name)]
[Trait("Category", "Compose"), Trait("Requires", "Docker")]
public sealed class EdgeTests(ComposeStack stack)
{
    private const string AdminSocket = "/run/messaging-edge/admin.sock";

    [Fact]
    public async Task The_edge_serves_services_by_name_over_verified_https_and_services_still_cannot_reach_each_other()
    {
        using var api = stack.Api();
        var (a, b) = (await CreateAsync(api, "cte-a"), await CreateAsync(api, "cte-b"));
        try
        {
            using var client = await EdgeClientAsync();
            await WaitForPageAsync(client, $"{a.Name}.{ComposeStack.EdgeDomain}", ComposeStack.ExpectedPage);
            await WaitForPageAsync(client, $"{b.Name}.{ComposeStack.EdgeDomain}", ComposeStack.ExpectedPage);
            // The API too, through its published loopback port.
            await WaitForPageAsync(client, $"api.{ComposeStack.EdgeDomain}", "", "/health/live");

            // A service reaches neither the other on the network (inter-container traffic off) nor the other's port
            // published on the host's loopback (through its gateway), nor Caddy's default admin port.
            var containerA = await ContainerOfServiceAsync(a.Id);
            var inspectB = await stack.Docker.Containers.InspectContainerAsync(await ContainerOfServiceAsync(b.Id));
            var networkB = inspectB.NetworkSettings!.Networks[ComposeStack.ProxyNetwork];
            var hostPortB = inspectB.NetworkSettings.Ports["80/tcp"]![0].HostPort;
            Assert.True((await Probe(containerA, "127.0.0.1", "80")).Succeeded, "control: the probe works inside A");
            Assert.False((await Probe(containerA, networkB.IPAddress, "80")).Succeeded, "A reached B on the network");
            Assert.False((await Probe(containerA, networkB.Gateway, hostPortB)).Succeeded, "A reached B's published port");
            Assert.False((await Probe(containerA, networkB.Gateway, "2019")).Succeeded, "A reached a Caddy admin port");
        }
        finally
        {
            await api.DeleteAsync($"/api/v1/services/{a.Id}");
            await api.DeleteAsync($"/api/v1/services/{b.Id}");
        }
    }

    [Fact]
    public async Task The_admin_endpoint_is_a_unix_socket_that_only_the_edge_containers_mount()
    {
        stack.RequireHealthy();
        // Caddy's configuration, read through the socket in the edge host's container, keeps it there.
        var admin = await Commands.ExecAsync(stack.ContainerOf("edge"), "test", "-S", AdminSocket);
        Assert.True(admin.Succeeded, $"no socket at {AdminSocket} in the edge container: {admin.Text}");
        using var caddy = AdminClient(await VolumePathAsync("edge-admin"));
        var listen = (await caddy.GetFromJsonAsync<JsonElement>("/config/admin")).GetProperty("listen").GetString();
        Assert.Equal($"unix/{AdminSocket}", listen);
        Assert.Contains(ComposeStack.EdgeDomain, await caddy.GetStringAsync("/config/apps/http/servers/edge/routes"));
        // Nothing answers on Caddy's default TCP admin address of the host.
        using var tcp = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, 2019));

        foreach (var service in ComposeStack.Services)
        {
            var mounts = (await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf(service))).Mounts ?? [];
            var hasAdmin = mounts.Any(m => m.Name?.EndsWith("_edge-admin", StringComparison.Ordinal) == true);
            Assert.True(hasAdmin == service is "edge" or "edge-proxy", $"{service} mounts the admin socket's volume: {hasAdmin}");
        }
    }

    [Fact]
    public async Task Only_the_api_and_the_edge_face_the_network_and_each_edge_container_has_the_least_rights()
    {
        stack.RequireHealthy();
        foreach (var service in ComposeStack.Services)
        {
            var inspect = await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf(service));
            var published = (inspect.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>())
                .Where(p => p.Value is { Count: > 0 }).SelectMany(p => p.Value.Select(binding => $"{binding.HostIP}:{binding.HostPort}->{p.Key}")).ToList();
            var expected = service switch
            {
                "api" => [$"127.0.0.1:{stack.ApiPort}->8080/tcp"],
                // The operator's, on the loopback only.
                "rabbitmq" => [$"127.0.0.1:{stack.AmqpPort}->5672/tcp", $"127.0.0.1:{stack.ManagementPort}->15672/tcp"],
                _ => Array.Empty<string>(),
            };
            Assert.Equal(expected.Order(), published.Order());
            Assert.Equal(service == "edge-proxy", inspect.HostConfig?.NetworkMode == "host");
        }

        var proxy = await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf("edge-proxy"));
        Assert.True(proxy.HostConfig?.ReadonlyRootfs == true);
        Assert.Equal(["ALL"], proxy.HostConfig?.CapDrop ?? []);
        Assert.Equal(["NET_BIND_SERVICE"], proxy.HostConfig?.CapAdd ?? []);
        Assert.NotEqual("0", (await Commands.ExecAsync(stack.ContainerOf("edge-proxy"), "id", "-u")).Text);
        Assert.DoesNotContain(proxy.Mounts ?? [], m => m.Destination.StartsWith("/run/secrets", StringComparison.Ordinal));

        var edge = await stack.Docker.Containers.InspectContainerAsync(stack.ContainerOf("edge"));
        IsolationTests.AssertLockedDown(edge);
        Assert.NotEqual("0", (await Commands.ExecAsync(stack.ContainerOf("edge"), "id", "-u")).Text);
        Assert.Contains(edge.Mounts ?? [], m => m.Name?.EndsWith("_edge-data", StringComparison.Ordinal) == true && !m.RW);
        Assert.DoesNotContain(edge.Mounts ?? [], m => $"{m.Source}:{m.Destination}".Contains("docker.sock"));
    }

    private sealed record Created(Guid Id, string Name);

    private async Task<Created> CreateAsync(HttpClient api, string stem)
    {
        stack.RequireHealthy();
        var name = $"{stem}-{Random.Shared.Next(0x1000000):x6}";
        using var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var status = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}")).GetProperty("status").GetString();
            if (status == "running")
                return new Created(id, name);
            Assert.NotEqual("failed", status);
            await Task.Delay(1000);
        }
        throw new Xunit.Sdk.XunitException($"{name} never reached running.");
    }

    private async Task<string> ContainerOfServiceAsync(Guid id) =>
        (await stack.Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"messaging.service-id={id:D}"] = true } },
        })).Single().ID;

    private static Task<CommandResult> Probe(string container, string host, string port) =>
        Commands.ExecAsync(container, "nc", "-w", "3", host, port);

    /// <summary>Where docker keeps a named volume of the project (the tests run as root, as dockerd's clients here do).</summary>
    private async Task<string> VolumePathAsync(string volume) =>
        (await stack.Docker.Volumes.InspectAsync($"{stack.Project}_{volume}")).Mountpoint;

    private static HttpClient AdminClient(string volumePath)
    {
        var socketPath = Path.Combine(volumePath, "admin.sock");
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Every name to Caddy's listener; the only root trusted is Caddy's internal CA's, read from its storage.</summary>
    private async Task<HttpClient> EdgeClientAsync()
    {
        var pem = "";
        for (var attempt = 0; attempt < 30 && pem.Length == 0; attempt++)
        {
            var read = await Commands.ExecAsync(stack.ContainerOf("edge"), "cat", "/var/lib/messaging-edge/pki/authorities/local/root.crt");
            pem = read.Succeeded ? read.Text : "";
            if (pem.Length == 0)
                await Task.Delay(1000);
        }
        Assert.True(pem.Length > 0, "Caddy's internal CA has no root in its storage");
        var root = X509Certificate2.CreateFromPem(pem);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
                {
                    if (certificate is not X509Certificate2 leaf || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                        return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(root);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    if (presented is not null)
                    {
                        foreach (var element in presented.ChainElements)
                            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                    return chain.Build(leaf);
                },
            },
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    private async Task WaitForPageAsync(HttpClient client, string host, string text, string path = "/")
    {
        var last = "no answer yet";
        for (var attempt = 0; attempt < 60; attempt++)
        {
            try
            {
                using var response = await client.GetAsync(new Uri($"https://{host}:{stack.EdgeHttpsPort}{path}"));
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && body.Contains(text, StringComparison.Ordinal))
                    return;
                last = $"{(int)response.StatusCode}: {body[..Math.Min(body.Length, 200)]}";
            }
            catch (HttpRequestException e)
            {
                last = e.InnerException?.Message ?? e.Message;
            }
            await Task.Delay(500);
        }
        var log = await Commands.RunAsync(Commands.DockerCli, ["logs", "--tail", "20", stack.ContainerOf("edge")], TimeSpan.FromSeconds(20));
        throw new Xunit.Sdk.XunitException($"https://{host}{path} did not answer 200 with '{text}'; last: {last}; edge log:\n{log.Text}");
    }
}
