using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Contracts;
using Messaging.Testing;
using Messaging.Worker;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Messaging.IntegrationTests;

/// <summary>
/// The three processes on the least-privileged credentials infra/ gives them: a RabbitMQ vhost and users of
/// this test's own (infra/rabbitmq/add-process-users.sh) and Redis ACL users of its own (infra/redis/acl-users.sh,
/// without the default-user line). The whole flow works on them, and each refuses what is not its job.
/// </summary>
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class ProcessCredentialsTests : IAsyncLifetime
{
    private const string AdminToken = "process-credentials-admin-token-0123456789";
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly string _secrets = Directory.CreateTempSubdirectory("messaging-secrets-").FullName;
    private string VHost => $"it-perm-{_id}";
    private string UserPrefix => $"it-{_id}-";
    private string KeyPrefix => $"itperm:{_id}:";
    private string Instance => $"it-perm-{_id}";
    private readonly List<IHost> _hosts = [];
    private readonly List<string> _aclUsers = [];
    private WebApplicationFactory<Program>? _api;
    private ConnectionMultiplexer _admin = null!;
    private readonly IDockerClient _docker = TestEnvironment.DockerClient();

    private string Password(string service, string role) => File.ReadAllText(Path.Combine(_secrets, $"{service}-{role}-password")).Trim();

    public async Task InitializeAsync()
    {
        foreach (var service in new[] { "rabbitmq", "redis" })
            foreach (var role in new[] { "api", "worker", "audit", "edge" })
                await File.WriteAllTextAsync(Path.Combine(_secrets, $"{service}-{role}-password"), $"pw-{Guid.NewGuid():N}\n");

        var (code, output) = await PublisherPermissionsTests.Run("bash", [Infra("rabbitmq", "add-process-users.sh")],
            new() { ["MESSAGING_VHOST"] = VHost, ["MESSAGING_USER_PREFIX"] = UserPrefix, ["SECRETS_DIR"] = _secrets }, timeoutSeconds: 240);
        Assert.True(code == 0, output);

        (code, output) = await PublisherPermissionsTests.Run("sh", [Infra("redis", "acl-users.sh")],
            new() { ["REDIS_KEY_PREFIX"] = KeyPrefix, ["REDIS_USER_PREFIX"] = UserPrefix, ["SECRETS_DIR"] = _secrets, ["ACL_DEFAULT_USER"] = "" });
        Assert.True(code == 0, output);
        _admin = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("user", words[0]);
            Assert.StartsWith(UserPrefix, words[1]); // never the default user
            _aclUsers.Add(words[1]);
            await _admin.GetDatabase().ExecuteAsync("ACL", ["SETUSER", .. words[1..]]);
        }

        var worker = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Source("Messaging.Worker") });
        worker.Configuration.AddInMemoryCollection(Settings("worker"));
        worker.AddWorker();
        _hosts.Add(worker.Build());
        await _hosts[0].StartAsync();
        _hosts.Add(await AuditHostForTests.StartAsync(Settings("audit")));
        _api = new ApiFactory(Settings("api"));
    }

    private Dictionary<string, string?> Settings(string role) => new()
    {
        ["RabbitMq:Host"] = TestEnvironment.RabbitMq.Host,
        ["RabbitMq:Port"] = TestEnvironment.RabbitMq.Port.ToString(),
        ["RabbitMq:VHost"] = VHost,
        // Passwords from the secret files, as docker-compose.yml hands them over.
        ["RabbitMq:User"] = UserPrefix + role,
        ["RabbitMq:PassFile"] = Path.Combine(_secrets, $"rabbitmq-{role}-password"),
        ["Redis:Configuration"] = TestEnvironment.Redis,
        ["Redis:User"] = UserPrefix + role,
        ["Redis:PasswordFile"] = Path.Combine(_secrets, $"redis-{role}-password"),
        ["Redis:KeyPrefix"] = KeyPrefix,
        ["Identity:ApiBrokerUser"] = UserPrefix + "api",
        ["Docker:Instance"] = Instance,
        ["Ports:Min"] = "18900",
        ["Ports:Max"] = "18949",
        ["Reconciler:Enabled"] = "false",
        ["Auth:BootstrapToken"] = AdminToken,
        ["Health:File"] = Path.Combine(_secrets, $"{role}.health"),
        ["Webhooks:AllowPrivateAddresses"] = "true", // the webhook receiver listens on 127.0.0.1
    };

    public async Task DisposeAsync()
    {
        if (_api is not null)
            await _api.DisposeAsync();
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            await host.StopAsync();
            host.Dispose();
        }
        foreach (var container in await _docker.Containers.ListContainersAsync(new ContainersListParameters
                 {
                     All = true,
                     Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"messaging.instance={Instance}"] = true } },
                 }))
            await _docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "delete_vhost", VHost]);
        foreach (var role in new[] { "api", "worker", "audit", "edge" })
            await PublisherPermissionsTests.Run("rabbitmqctl", ["-q", "delete_user", UserPrefix + role]);
        foreach (var user in _aclUsers)
            await _admin.GetDatabase().ExecuteAsync("ACL", ["DELUSER", user]);
        await foreach (var key in _admin.GetServers()[0].KeysAsync(pattern: KeyPrefix + "*"))
            await _admin.GetDatabase().KeyDeleteAsync(key);
        await _admin.DisposeAsync();
        _docker.Dispose();
        Directory.Delete(_secrets, recursive: true);
    }

    private HttpClient Api()
    {
        var client = _api!.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    private static async Task<JsonElement> WaitForStatus(HttpClient api, Guid id, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement service;
        do
        {
            service = await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}");
            if (service.GetProperty("status").GetString() == status)
                return service;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Service {id} is {service.GetProperty("status")}, not {status}.");
    }

    private static async Task<Guid> Create(HttpClient api, string name, string image)
    {
        var response = await api.PostAsync("/api/v1/services", new StringContent(
            $$"""{"service_name":"{{name}}","image":"{{image}}","memory_limit":"64m","cpu_limit":0.25}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service_id").GetGuid();
    }

    [Fact]
    public async Task Every_process_does_its_job_on_its_own_credentials_and_is_refused_the_others()
    {
        using var api = Api();

        // The whole flow on least privilege: create, logs (request/response), remove, a refusal, the audit trail.
        var id = await Create(api, $"perm-{_id}", "nginx:alpine");
        await WaitForStatus(api, id, "running");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/services/{id}/logs?tail=5")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await api.DeleteAsync($"/api/v1/services/{id}")).StatusCode);
        await WaitForStatus(api, id, "removed");
        // A webhook, its retry included: the failed first try waits in a wait queue of the audit host's and comes back.
        await using var receiver = await WebhookReceiver.StartAsync(attempt => attempt == 1 ? 503 : 200);
        var subscribed = await api.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, event_types = new[] { nameof(ServiceCreationFailed) } });
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var subscription = (await subscribed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetProperty("id").GetString();
        var refused = await Create(api, $"perm-bad-{_id}", "ubuntu:latest");
        var failed = await WaitForStatus(api, refused, "failed");
        Assert.Equal(FailureReasons.ImageNotAllowed, failed.GetProperty("failure").GetProperty("code").GetString());
        var webhookDeadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement[] deliveries;
        while ((deliveries = [.. (await api.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{subscription}/deliveries")).GetProperty("items").EnumerateArray()]).Length == 0)
        {
            Assert.True(DateTime.UtcNow < webhookDeadline, "The audit host settled no webhook delivery on its own credentials.");
            await Task.Delay(100);
        }
        var delivery = Assert.Single(deliveries);
        Assert.Equal(("delivered", 2), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32()));
        // A bound, not a figure: under the full default run the audit host's appends can lag well behind the events.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await api.GetFromJsonAsync<JsonElement>($"/api/v1/services/{id}/events")).GetProperty("items").GetArrayLength() < 4)
        {
            Assert.True(DateTime.UtcNow < deadline, "The audit host wrote no trail on its own credentials.");
            await Task.Delay(100);
        }

        // RabbitMQ: the API's user cannot consume the create-service queue; the audit host's cannot either, nor publish a command.
        foreach (var role in new[] { "api", "audit" })
        {
            await using var connection = await Connect(role);
            await using var channel = await connection.CreateChannelAsync();
            var consume = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.BasicGetAsync(CommandQueues.CreateService, autoAck: false));
            Assert.Equal((ushort)Constants.AccessRefused, consume.ShutdownReason!.ReplyCode);
        }
        await using (var audit = await Connect("audit"))
        await using (var channel = await RawAmqp.ConfirmingChannelAsync(audit))
            await Assert.ThrowsAnyAsync<Exception>(() => RawAmqp.PublishAsync(channel, "RemoveService",
                new { commandId = Guid.NewGuid(), serviceId = id, requestedBy = "admin", requestedAt = DateTimeOffset.UtcNow }, UserPrefix + "audit"));
        // The worker's user cannot publish a command either.
        await using (var worker = await Connect("worker"))
        await using (var channel = await RawAmqp.ConfirmingChannelAsync(worker))
            await Assert.ThrowsAnyAsync<Exception>(() => RawAmqp.PublishAsync(channel, "CreateService",
                RawAmqp.CreateService(Guid.NewGuid(), $"forged-{_id}", "admin"), UserPrefix + "worker"));

        // Redis: the audit host cannot write a service record (nor a reservation); the API cannot write the trail or a port.
        await using (var auditRedis = await ConnectRedis("audit"))
        {
            var noPermission = await Assert.ThrowsAsync<RedisServerException>(() =>
                auditRedis.GetDatabase().HashSetAsync($"{KeyPrefix}service:{id}", "owner", "mallory"));
            Assert.StartsWith("NOPERM", noPermission.Message);
            await Assert.ThrowsAsync<RedisServerException>(() => auditRedis.GetDatabase().HashSetAsync($"{KeyPrefix}ports", "18900", id.ToString()));
            await Assert.ThrowsAsync<RedisServerException>(() => auditRedis.GetDatabase().ExecuteAsync("FLUSHALL"));
            Assert.False((await auditRedis.GetDatabase().HashGetAsync($"{KeyPrefix}service:{id}", "owner")).IsNull); // reading is its job
        }
        await using (var apiRedis = await ConnectRedis("api"))
        {
            await Assert.ThrowsAsync<RedisServerException>(() =>
                apiRedis.GetDatabase().StreamAddAsync($"{KeyPrefix}audit", "forged", "entry"));
            await Assert.ThrowsAsync<RedisServerException>(() => apiRedis.GetDatabase().HashSetAsync($"{KeyPrefix}ports", "18900", id.ToString()));
            await Assert.ThrowsAsync<RedisServerException>(() => apiRedis.GetDatabase().StringSetAsync("outside-the-prefix", "x"));
        }
        Assert.NotEqual("mallory", (string?)await _admin.GetDatabase().HashGetAsync($"{KeyPrefix}service:{id}", "owner"));

        await A_poison_command_from_the_api_user_still_reaches_the_error_queue();
    }

    /// <summary>
    /// Part of the test above (one set-up: each rabbitmqctl call takes seconds). The worker publishes a
    /// MassTransit:ReceiveFault and moves the message with the API's user_id (only an impersonator may):
    /// without both rights in process-permissions.sh the poison message was redelivered for ever.
    /// </summary>
    private async Task A_poison_command_from_the_api_user_still_reaches_the_error_queue()
    {
        var messageId = Guid.NewGuid().ToString();
        await using (var apiConnection = await Connect("api"))
        await using (var channel = await RawAmqp.ConfirmingChannelAsync(apiConnection))
            await channel.BasicPublishAsync(RawAmqp.Exchange("CreateService"), "", mandatory: true,
                new BasicProperties { ContentType = RawAmqp.ContentType, MessageId = messageId, Persistent = true, UserId = UserPrefix + "api" },
                Encoding.UTF8.GetBytes("{\"message\": not json"));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "The poison message never reached create-service_error.");
            // A connection per try: a quorum queue declared a moment ago can answer 541 "noproc" while its leader
            // starts (seen in a CI run), and that closes the whole connection, not only the channel.
            await using var worker = await Connect("worker");
            await using var read = await worker.CreateChannelAsync();
            try
            {
                BasicGetResult? got;
                while ((got = await read.BasicGetAsync(CommandQueues.CreateService + "_error", autoAck: true)) is not null)
                    if (got.BasicProperties.MessageId == messageId)
                        return;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.NotFound)
            {
                // The error queue is made with the first fault.
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.InternalError
                                                          && e.ShutdownReason.ReplyText.Contains("noproc", StringComparison.Ordinal))
            {
                // Made, but its leader is not up yet.
            }
            await Task.Delay(200);
        }
    }

    private Task<IConnection> Connect(string role) =>
        new ConnectionFactory { HostName = TestEnvironment.RabbitMq.Host, Port = TestEnvironment.RabbitMq.Port, VirtualHost = VHost, UserName = UserPrefix + role, Password = Password("rabbitmq", role) }
            .CreateConnectionAsync();

    // allowAdmin: the client would refuse FLUSHALL itself; the server's ACL must be what says no.
    private Task<ConnectionMultiplexer> ConnectRedis(string role) =>
        ConnectionMultiplexer.ConnectAsync($"{TestEnvironment.Redis},user={UserPrefix}{role},password={Password("redis", role)},allowAdmin=true");

    private static string Infra(string folder, string script) => Path.Combine(Solution(), "infra", folder, script);
    private static string Source(string project) => Path.Combine(Solution(), "src", project);

    private static string Solution()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            directory = directory.Parent;
        return directory!.FullName;
    }

    private sealed class ApiFactory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
                builder.UseSetting(key, value);
        }
    }
}
