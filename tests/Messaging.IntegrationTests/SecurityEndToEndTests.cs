using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using MassTransit;
using Messaging.Contracts;
using Messaging.State;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Messaging.IntegrationTests;

[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class SecurityEndToEndTests(SystemFixture system, SecurityEndToEndTests.ZeroQuotaPublisher publisher)
    : IClassFixture<SecurityEndToEndTests.ZeroQuotaPublisher>
{
    private static string UniqueName(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<ServiceCreated> Create(string name)
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$$"""{"service_name":"{{{name}}}","image":"nginx:alpine","memory_limit":"64m","cpu_limit":0.25,"env":{"GREETING":"hi"}}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
        return await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == id);
    }

    [Fact]
    public async Task Every_hardening_field_is_set_on_the_real_container()
    {
        var created = await Create(UniqueName("it-hard"));
        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        var host = inspect.HostConfig!;

        Assert.False(host.Privileged);
        Assert.Equal("proxy_network", host.NetworkMode);
        Assert.Equal("private", host.IpcMode);
        Assert.True(string.IsNullOrEmpty(host.PidMode));
        Assert.True(string.IsNullOrEmpty(host.UTSMode));
        Assert.True(string.IsNullOrEmpty(host.UsernsMode));
        Assert.Empty(host.Binds ?? []);
        Assert.Empty(host.Mounts ?? []);
        Assert.Empty(host.VolumesFrom ?? []);
        Assert.Empty(host.Devices ?? []);
        Assert.Empty(host.Sysctls ?? new Dictionary<string, string>());
        Assert.Empty(inspect.Mounts ?? []);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["NET_BIND_SERVICE"], host.CapAdd); // the default entry opts into nothing else
        Assert.Equal("101:101", inspect.Config!.User); // the shipped entry's non-root user, never the image's root
        Assert.True(host.ReadonlyRootfs);
        Assert.NotNull(host.Tmpfs);
        Assert.Equal(["/tmp", "/var/cache/nginx", "/var/run"], host.Tmpfs.Keys.Order(StringComparer.Ordinal));
        Assert.All(host.Tmpfs.Values, options =>
        {
            var parts = options.Split(',');
            Assert.Contains("noexec", parts);
            Assert.Contains("nosuid", parts);
            Assert.Contains("nodev", parts);
            Assert.Contains($"size={64L << 20}", parts); // bounded: a service cannot fill the host's memory through it
        });
        Assert.Equal(64L << 20, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(250_000_000L, host.NanoCPUs);
        Assert.Equal(256L, host.PidsLimit);
        Assert.False(host.PublishAllPorts);
        var binding = Assert.Single(Assert.Single(host.PortBindings).Value);
        Assert.Equal("127.0.0.1", binding.HostIP);
        Assert.Equal(created.HostPort.ToString(), binding.HostPort);
        Assert.Equal("json-file", host.LogConfig!.Type);
        Assert.Equal("10m", host.LogConfig.Config["max-size"]);
        Assert.Contains("GREETING=hi", inspect.Config.Env);

        // The worker's labels carry the worker's values; any other label in our namespace came with the image, not the request.
        Assert.Equal("true", inspect.Config.Labels["messaging.managed"]);
        Assert.Equal("alice", inspect.Config.Labels["messaging.owner"]);
        Assert.Equal(created.ServiceId.ToString("D"), inspect.Config.Labels["messaging.service-id"]);
        Assert.Equal(created.ServiceName, inspect.Config.Labels["messaging.service-name"]);
        Assert.Equal(SystemFixture.Instance, inspect.Config.Labels["messaging.instance"]);
        var imageLabels = (await system.Docker.Images.InspectImageAsync("nginx:alpine")).Config?.Labels ?? new Dictionary<string, string>();
        string[] workerLabels = ["messaging.managed", "messaging.owner", "messaging.service-id", "messaging.service-name", "messaging.instance", "messaging.command-id"];
        Assert.All(inspect.Config.Labels.Where(l => l.Key.StartsWith("messaging.", StringComparison.Ordinal) && !workerLabels.Contains(l.Key)),
            l => Assert.Equal(imageLabels[l.Key], l.Value));
    }

    /// <summary>
    /// What the inspect fields above mean inside the running container: the shipped nginx:alpine entry serves as
    /// uid 101 with no effective capability, cannot write its root file system, and writes only to its tmpfs.
    /// </summary>
    [Fact]
    public async Task The_default_service_serves_as_a_non_root_user_on_a_read_only_root()
    {
        var created = await Create(UniqueName("it-nonroot"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Contains("messaging test image", await FirstPage(http, $"http://127.0.0.1:{created.HostPort}/"));

        var status = await ExecOutput(created.ContainerId, "cat", "/proc/1/status");
        string Field(string name) => status.Split('\n').Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        Assert.Equal(["101", "101", "101", "101"], Field("Uid").Split('\t'));
        Assert.Equal(["101", "101", "101", "101"], Field("Gid").Split('\t'));
        Assert.Equal("0000000000000400", Field("CapBnd")); // NET_BIND_SERVICE (bit 10) is all the bounding set holds
        Assert.Equal("0000000000000000", Field("CapEff"));
        Assert.Equal("1", Field("NoNewPrivs"));

        Assert.NotEqual(0, await Exec(created.ContainerId, "touch", "/probe"));
        Assert.NotEqual(0, await Exec(created.ContainerId, "touch", "/www/probe"));
        Assert.Equal(0, await Exec(created.ContainerId, "touch", "/tmp/probe"));
    }

    /// <summary>
    /// A publisher on the broker may add any field to a command; the contract lets the worker ignore unknown ones, and
    /// the spec is built from the allowlist entry alone, so none of these reaches the engine.
    /// </summary>
    [Fact]
    public async Task Hardening_fields_smuggled_into_a_broker_command_never_reach_the_engine()
    {
        await using var connection = await RawAmqp.ConnectAsync();
        await using var channel = await RawAmqp.ConfirmingChannelAsync(connection);
        var serviceId = Guid.NewGuid();
        await RawAmqp.PublishAsync(channel, nameof(CreateService), new System.Text.Json.Nodes.JsonObject
        {
            ["commandId"] = Guid.NewGuid(), ["serviceId"] = serviceId, ["serviceName"] = UniqueName("it-smuggle"),
            ["image"] = "nginx:alpine", ["memoryLimit"] = "64m", ["cpuLimit"] = 0.25, ["requestedBy"] = "alice",
            ["requestedAt"] = DateTimeOffset.UtcNow,
            ["user"] = "0:0", ["runAsRoot"] = true, ["capabilities"] = new System.Text.Json.Nodes.JsonArray("SYS_ADMIN", "ALL"),
            ["capAdd"] = new System.Text.Json.Nodes.JsonArray("SYS_ADMIN"), ["privileged"] = true, ["readOnlyRootfs"] = false,
            ["binds"] = new System.Text.Json.Nodes.JsonArray("/:/host"), ["tmpfs"] = new System.Text.Json.Nodes.JsonArray("/:exec"),
            ["hostConfig"] = new System.Text.Json.Nodes.JsonObject { ["Privileged"] = true, ["CapAdd"] = new System.Text.Json.Nodes.JsonArray("SYS_ADMIN") },
        });
        var created = await system.Events.WaitFor<ServiceCreated>(e => e.ServiceId == serviceId);

        var inspect = await system.Docker.Containers.InspectContainerAsync(created.ContainerId);
        Assert.Equal("101:101", inspect.Config!.User);
        Assert.Equal(["NET_BIND_SERVICE"], inspect.HostConfig!.CapAdd);
        Assert.False(inspect.HostConfig.Privileged);
        Assert.True(inspect.HostConfig.ReadonlyRootfs);
        Assert.Empty(inspect.HostConfig.Binds ?? []);
        Assert.Equal(["/tmp", "/var/cache/nginx", "/var/run"], inspect.HostConfig.Tmpfs!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Services_on_the_services_network_cannot_reach_one_another()
    {
        var a = await Create(UniqueName("it-icc-a"));
        var b = await Create(UniqueName("it-icc-b"));
        var bAddress = (await system.Docker.Containers.InspectContainerAsync(b.ContainerId)).NetworkSettings!.Networks["proxy_network"].IPAddress;

        // Control: the same probe to its own HTTP server connects, so a failure below is the network's doing.
        // (busybox nc: exit 0 once connected, 1 on time-out.)
        Assert.Equal(0, await Exec(a.ContainerId, "nc", "-w", "3", "127.0.0.1", "80"));
        Assert.NotEqual(0, await Exec(a.ContainerId, "nc", "-w", "3", bAddress, "80"));

        var network = await system.Docker.Networks.InspectNetworkAsync("proxy_network");
        Assert.Equal("false", network.Options["com.docker.network.bridge.enable_icc"]);
    }

    /// <summary>
    /// Whoever can write Redis can point a record at any container on the engine (here by id, and by name, which
    /// the engine also resolves). Stop, restart, logs and remove must then do nothing to that container: each is
    /// refused as not_found and the worker logs the refusal.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_record_pointing_at_a_foreign_container_never_reaches_it(bool byName)
    {
        using var api = system.Api(SystemFixture.AliceToken);
        var created = await Create(UniqueName("it-redir"));
        var foreignName = UniqueName("it-victim");
        var foreign = (await system.Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = foreignName,
            Image = "messaging-test/busybox:latest",
            Cmd = ["sh", "-c", "echo victim secret; trap 'exit 0' TERM; sleep 300 & wait"],
        })).ID;
        try
        {
            await system.Docker.Containers.StartContainerAsync(foreign, new ContainerStartParameters());
            var startedAt = (await system.Docker.Containers.InspectContainerAsync(foreign)).State!.StartedAt;
            var records = system.WorkerServices.GetRequiredService<ServiceRecordStore>();
            var record = await records.GetAsync(created.ServiceId);
            await records.SaveAsync(record! with { ContainerId = byName ? foreignName : foreign });

            foreach (var (method, path, command) in new[]
            {
                (HttpMethod.Post, "stop", nameof(StopService)),
                (HttpMethod.Post, "restart", nameof(RestartService)),
                (HttpMethod.Delete, "", nameof(RemoveService)),
            })
            {
                var response = await api.SendAsync(new HttpRequestMessage(method, $"/api/v1/services/{created.ServiceId}/{path}".TrimEnd('/')));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                var commandId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
                var rejected = await system.Events.WaitFor<ServiceCommandRejected>(e => e.CommandId == commandId);
                Assert.Equal(RejectionReasons.NotFound, rejected.Reason);
                Assert.Equal(command, rejected.Command);
            }
            var logs = await api.GetAsync($"/api/v1/services/{created.ServiceId}/logs");
            Assert.Equal(HttpStatusCode.NotFound, logs.StatusCode);
            Assert.DoesNotContain("victim secret", await logs.Content.ReadAsStringAsync());

            var after = await system.Docker.Containers.InspectContainerAsync(foreign);
            Assert.True(after.State!.Running);
            Assert.Equal(startedAt, after.State.StartedAt);
            Assert.Equal(Messaging.Contracts.ServiceStatus.Running, (await records.GetAsync(created.ServiceId))!.Status);
            Assert.Contains(system.LogLines, l => l.Contains("Refused to act on container", StringComparison.Ordinal) && l.Contains(foreign, StringComparison.Ordinal));
        }
        finally
        {
            await system.Docker.Containers.RemoveContainerAsync(foreign, new ContainerRemoveParameters { Force = true });
        }
    }

    private async Task<long> Exec(string containerId, params string[] command)
    {
        var exec = await system.Docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = command, AttachStdout = true, AttachStderr = true,
        });
        using (var stream = await system.Docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), default))
            await stream.ReadOutputToEndAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var state = await system.Docker.Exec.InspectContainerExecAsync(exec.ID);
            if (!state.Running || DateTime.UtcNow > deadline)
                return state.ExitCode ?? -1;
            await Task.Delay(100);
        }
    }

    private async Task<string> ExecOutput(string containerId, params string[] command)
    {
        var exec = await system.Docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = command, AttachStdout = true, AttachStderr = true,
        });
        using var stream = await system.Docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), default);
        var (stdout, _) = await stream.ReadOutputToEndAsync(default);
        return stdout;
    }

    public static TheoryData<string, string> HostileCommands => new()
    {
        { "path in the name", """{"ServiceName":"../../etc"}""" },
        { "uppercase name", """{"ServiceName":"Evil"}""" },
        { "one-character name", """{"ServiceName":"x"}""" },
        { "image not allowed", """{"Image":"ubuntu:latest"}""" },
        { "image with a registry", """{"Image":"evil.example.com/nginx:alpine"}""" },
        { "memory zero", """{"MemoryLimit":"0"}""" },
        { "memory over the cap", """{"MemoryLimit":"64g"}""" },
        { "memory with exponent", """{"MemoryLimit":"1e9g"}""" },
        { "cpu zero", """{"CpuLimit":0}""" },
        { "cpu over the cap", """{"CpuLimit":32}""" },
        { "port out of range", """{"InternalPort":70000}""" },
        { "env key injection", """{"Env":{"A=B":"c"}}""" },
        { "no requester", """{"RequestedBy":""}""" },
        { "requester with spaces", """{"RequestedBy":"evil system"}""" },
        { "empty service id", """{"ServiceId":"00000000-0000-0000-0000-000000000000"}""" },
    };

    /// <summary>A valid creation from another system with the hostile fields of <paramref name="overrides"/> laid over it.</summary>
    public static CreateService HostileCreate(string overrides)
    {
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(), ServiceId = Guid.NewGuid(), ServiceName = UniqueName("it-hostile"), Image = "nginx:alpine",
            MemoryLimit = "64m", CpuLimit = 0.25, RequestedBy = "billing-system", RequestedAt = DateTimeOffset.UtcNow,
        };
        var json = JsonSerializer.SerializeToNode(command)!.AsObject();
        foreach (var (key, value) in JsonNode(overrides))
            json[key] = value?.DeepClone();
        return json.Deserialize<CreateService>()!;
    }

    [Theory]
    [MemberData(nameof(HostileCommands))]
    public async Task A_hostile_command_published_straight_to_the_broker_ends_as_a_failure_event_never_a_container(string description, string overrides)
    {
        var command = HostileCreate(overrides);

        await system.Events.Publish(command);
        var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.CommandId == command.CommandId);

        Assert.Contains(failed.Reason, FailureReasons.All);
        Assert.NotEqual(FailureReasons.DockerError, failed.Reason);
        Assert.DoesNotContain(await system.OurContainers(), c => c.Labels["messaging.service-id"] == command.ServiceId.ToString("D"));
        Assert.Empty(system.Events.All<ServiceCreated>(e => e.CommandId == command.CommandId));
        _ = description;
    }

    /// <summary>
    /// A broker user made by infra/rabbitmq/add-publisher.sh, named <see cref="SystemFixture.ZeroQuotaSystem"/>: the
    /// system fixture gives it a quota of no services, so any creation it gets past the policy ends as quota_exceeded.
    /// </summary>
    public sealed class ZeroQuotaPublisher : IAsyncLifetime
    {
        public string Password { get; } = $"pw-{Guid.NewGuid():N}";
        public IConnection Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var (code, output) = await PublisherPermissionsTests.Run("bash", [PublisherPermissionsTests.Script(), SystemFixture.ZeroQuotaSystem],
                new() { ["PUBLISHER_PASSWORD"] = Password });
            Assert.True(code == 0, output);
            Connection = await RawAmqp.ConnectAsync(SystemFixture.ZeroQuotaSystem, Password);
        }

        public async Task DisposeAsync()
        {
            await Connection.DisposeAsync();
            await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "delete_user", SystemFixture.ZeroQuotaSystem]);
        }
    }

    /// <summary>Alice's running service, made once for the rows below, with a restart whose outcome the worker stored.</summary>
    private sealed record Victim(ServiceCreated Created, Guid RestartCommandId);

    private static readonly SemaphoreSlim VictimGate = new(1, 1);
    private static Victim? _victim;

    private async Task<Victim> AlicesVictim()
    {
        await VictimGate.WaitAsync();
        try
        {
            if (_victim is not null)
                return _victim;
            var created = await Create(UniqueName("it-victim"));
            using var api = system.Api(SystemFixture.AliceToken);
            var restart = await api.PostAsync($"/api/v1/services/{created.ServiceId}/restart", null);
            Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
            var restartId = (await restart.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("command_id").GetGuid();
            await system.Events.WaitFor<ServiceRestarted>(e => e.CommandId == restartId);
            return _victim = new Victim(created, restartId);
        }
        finally
        {
            VictimGate.Release();
        }
    }

    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>
    /// Issue 13's broker boundaries, tried by a system publisher (raw AMQP, its own validated user_id) against Alice's
    /// service: placeholders {victim}, {victimCreate}, {victimRestart}, {victimName} are filled in with hers.
    /// </summary>
    public static TheoryData<string, string, string, string> HostileSystemCommands => new()
    {
        // Identity (13.1): whatever requestedBy claims, Alice's service does not exist for this system.
        { "start naming admin", nameof(StartService), """{"serviceId":"{victim}","requestedBy":"admin"}""", RejectionReasons.NotFound },
        { "stop naming the owner", nameof(StopService), """{"serviceId":"{victim}","requestedBy":"alice"}""", RejectionReasons.NotFound },
        { "restart naming the API", nameof(RestartService), """{"serviceId":"{victim}","requestedBy":"api"}""", RejectionReasons.NotFound },
        { "remove with owner and privileges smuggled in", nameof(RemoveService),
            """{"serviceId":"{victim}","requestedBy":"admin","owner":"alice","isApi":true,"privileged":true,"userId":"guest"}""", RejectionReasons.NotFound },
        { "stop with no requester", nameof(StopService), """{"serviceId":"{victim}","requestedBy":""}""", RejectionReasons.InvalidCommand },
        { "stop of the empty service id", nameof(StopService), """{"serviceId":"00000000-0000-0000-0000-000000000000"}""", RejectionReasons.InvalidCommand },

        // Outcomes are the owner's (13.14): reusing her restart's command id replays nothing of hers.
        { "restart reusing the owner's command id", nameof(RestartService), """{"serviceId":"{victim}","commandId":"{victimRestart}","requestedBy":"alice"}""", RejectionReasons.NotFound },
        { "remove reusing the owner's creation command id", nameof(RemoveService), """{"serviceId":"{victim}","commandId":"{victimCreate}","requestedBy":"alice"}""", RejectionReasons.NotFound },

        // Creation over another owner's record: her service id, alone or with her own creation's command id.
        { "create over the owner's service id", nameof(CreateService), """{"serviceId":"{victim}"}""", FailureReasons.InvalidCommand },
        { "create replaying the owner's creation", nameof(CreateService), """{"serviceId":"{victim}","commandId":"{victimCreate}","requestedBy":"alice"}""", FailureReasons.InvalidCommand },

        // Images by digest (13.14): a pin the allowlist entry lacks is refused, not dropped.
        { "allowed image pinned to a digest the entry lacks", nameof(CreateService), $$"""{"image":"nginx:alpine@{{Digest}}"}""", FailureReasons.ImageNotAllowed },
        { "image not allowed, by digest", nameof(CreateService), $$"""{"image":"ubuntu@{{Digest}}"}""", FailureReasons.ImageNotAllowed },
        { "image by digest with a registry", nameof(CreateService), $$"""{"image":"evil.example.com/nginx@{{Digest}}"}""", FailureReasons.ImageNotAllowed },

        // Quota (13.3): a system's own quota binds it, whoever requestedBy names; Alice's token quota is never spent.
        { "create within the limits but over the system's quota", nameof(CreateService), """{"requestedBy":"alice"}""", FailureReasons.QuotaExceeded },
        { "create naming admin, over the system's quota", nameof(CreateService), """{"requestedBy":"admin","memoryLimit":"16m"}""", FailureReasons.QuotaExceeded },
        { "create taking the owner's name", nameof(CreateService), """{"serviceName":"{victimName}"}""", FailureReasons.NameConflict },
        { "create with hardening fields smuggled in, over quota", nameof(CreateService),
            """{"privileged":true,"user":"0:0","capAdd":["SYS_ADMIN"],"binds":["/:/host"],"owner":"alice"}""", FailureReasons.QuotaExceeded },
    };

    [Theory]
    [MemberData(nameof(HostileSystemCommands))]
    public async Task A_hostile_system_command_gets_its_exact_reason_and_changes_nothing(string description, string type, string overrides, string reason)
    {
        var victim = await AlicesVictim();
        var victimId = victim.Created.ServiceId;
        var records = system.WorkerServices.GetRequiredService<ServiceRecordStore>();
        var before = (await records.GetAsync(victimId))!;
        var startedAt = (await system.Docker.Containers.InspectContainerAsync(victim.Created.ContainerId)).State!.StartedAt;
        var victimEvents = system.Events.All<IServiceEvent>(e => e.ServiceId == victimId).Count;

        var message = new System.Text.Json.Nodes.JsonObject
        {
            ["commandId"] = Guid.NewGuid(), ["serviceId"] = Guid.NewGuid(), ["requestedBy"] = "billing-system", ["requestedAt"] = DateTimeOffset.UtcNow,
        };
        if (type == nameof(CreateService))
        {
            message["serviceName"] = UniqueName("it-sys-hostile");
            message["image"] = "nginx:alpine";
            message["memoryLimit"] = "64m";
            message["cpuLimit"] = 0.25;
        }
        var filled = overrides.Replace("{victim}", victimId.ToString("D"), StringComparison.Ordinal)
            .Replace("{victimCreate}", victim.Created.CommandId.ToString("D"), StringComparison.Ordinal)
            .Replace("{victimRestart}", victim.RestartCommandId.ToString("D"), StringComparison.Ordinal)
            .Replace("{victimName}", victim.Created.ServiceName, StringComparison.Ordinal);
        foreach (var (key, value) in JsonNode(filled))
            message[key] = value?.DeepClone();
        var commandId = message["commandId"]!.GetValue<Guid>();
        var serviceId = message["serviceId"]!.GetValue<Guid>();

        await using (var channel = await RawAmqp.ConfirmingChannelAsync(publisher.Connection))
            await RawAmqp.PublishAsync(channel, type, message, SystemFixture.ZeroQuotaSystem);

        if (type == nameof(CreateService))
        {
            var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.CommandId == commandId && e.ServiceId == serviceId, TimeSpan.FromSeconds(30));
            Assert.True(reason == failed.Reason, $"{description}: expected {reason}, got {failed.Reason}: {failed.Message}");
        }
        else
        {
            var rejected = await system.Events.WaitFor<ServiceCommandRejected>(e => e.CommandId == commandId && e.ServiceId == serviceId, TimeSpan.FromSeconds(30));
            Assert.True(reason == rejected.Reason, $"{description}: expected {reason}, got {rejected.Reason}: {rejected.Message}");
            Assert.Equal(type, rejected.Command);
        }

        // Nothing of Alice's changed: her record, her container, and no event of hers was published again.
        await Task.Delay(300); // a replay, were there one, is published before the refusal would have been
        var after = (await records.GetAsync(victimId))!;
        Assert.Equal((before.Owner, before.CommandId, before.Status, before.ContainerId, before.HostPort, before.UpdatedAt),
            (after.Owner, after.CommandId, after.Status, after.ContainerId, after.HostPort, after.UpdatedAt));
        var container = await system.Docker.Containers.InspectContainerAsync(victim.Created.ContainerId);
        Assert.True(container.State!.Running);
        Assert.Equal(startedAt, container.State.StartedAt);
        // The row's own refusal is the one event about her service it may cause (when it named her service id).
        Assert.Equal(victimEvents + (serviceId == victimId ? 1 : 0), system.Events.All<IServiceEvent>(e => e.ServiceId == victimId).Count);
        // And nothing of the system's was made.
        Assert.Empty(system.Events.All<ServiceCreated>(e => serviceId != victimId && e.ServiceId == serviceId));
        Assert.DoesNotContain(await system.OurContainers(), c => c.Labels["messaging.service-id"] == serviceId.ToString("D") && c.ID != victim.Created.ContainerId);
        Assert.DoesNotContain(await system.OurContainers(), c => c.Labels["messaging.owner"] == $"system:{SystemFixture.ZeroQuotaSystem}");
    }

    private static System.Text.Json.Nodes.JsonObject JsonNode(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();

    /// <summary>
    /// The page, once the server in the container listens: <c>ServiceCreated</c> means the container started, and the
    /// published port accepts (and resets) connections a moment before the process inside binds it.
    /// </summary>
    private static async Task<string> FirstPage(HttpClient http, string url)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
