using Messaging.Worker.Policy;
using MassTransit;
using MassTransit.Testing;
using Messaging.Contracts;
using Messaging.State;
using Messaging.Testing;
using Messaging.Worker.Containers;
using Messaging.Worker.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Messaging.Worker.Tests;

/// <summary>
/// The worker's real registrations on MassTransit's in-memory harness, real Redis under a key prefix of
/// its own, and a fake engine. Consumer logic is tested here; the real engine in the integration tests.
/// </summary>
public sealed class WorkerHarness : IAsyncDisposable
{
    public static string RedisConfiguration => TestEnvironment.Redis;
    private readonly IHost _host;

    private WorkerHarness(IHost host, string prefix)
    {
        _host = host;
        KeyPrefix = prefix;
    }

    public string KeyPrefix { get; }
    public IServiceProvider Services => _host.Services;
    public ITestHarness Harness => _host.Services.GetRequiredService<ITestHarness>();
    public FakeContainerRuntime Engine => (FakeContainerRuntime)_host.Services.GetRequiredService<IContainerRuntime>();
    public ServiceRecordStore Records => _host.Services.GetRequiredService<ServiceRecordStore>();
    public IDatabase Redis => _host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
    public RedisKeys Keys => _host.Services.GetRequiredService<RedisKeys>();

    public static async Task<WorkerHarness> StartAsync(int portMin = 11000, int portMax = 20000, IDictionary<string, string?>? settings = null)
    {
        var prefix = $"test:{Guid.NewGuid():N}:";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new SystemSettings { Instance = "unit", KeyPrefix = prefix, PortMin = portMin, PortMax = portMax }.ToConfiguration());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // The harness starts hosted services; tests run reconcile passes themselves, when they mean to.
            ["Reconciler:Enabled"] = "false",
            // The supervisor follows a real engine's events; these tests run on a fake one.
            ["Supervisor:Enabled"] = "false",
            ["Policy:MaxMemory"] = "1g",
            ["Policy:MaxCpus"] = "2",
            ["Policy:AllowedImages:0:Image"] = "nginx:alpine",
            ["Policy:AllowedImages:0:MaxMemory"] = "512m",
            ["Policy:AllowedImages:0:MaxCpus"] = "1",
            ["Policy:AllowedImages:0:User"] = "101:101",
            ["Identity:ApiBrokerUser"] = TestBrokerUser.Api,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddWorker();
        // The capacity report asks the engine for its resources at start, and the host budget keeps that answer (a
        // host's memory and CPUs do not change under its engine): tests that set the fake engine's resources after
        // start would race it. The report has tests of its own.
        builder.Services.Remove(builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(CapacityReporter)));
        builder.Services.AddSingleton<IContainerRuntime, FakeContainerRuntime>();
        builder.Services.AddSingleton<IBrokerUserSource, TestBrokerUser>();
        builder.Services.AddMassTransitTestHarness();
        var host = builder.Build();
        await host.Services.GetRequiredService<ITestHarness>().Start();
        return new WorkerHarness(host, prefix);
    }

    public static CreateService Command(string name = "my-nginx", string image = "nginx:alpine", string memory = "128m",
        double cpus = 0.5, string owner = "alice") => new()
    {
        CommandId = NewId.NextGuid(),
        ServiceId = Guid.NewGuid(),
        ServiceName = name,
        Image = image,
        MemoryLimit = memory,
        CpuLimit = cpus,
        RequestedBy = owner,
        RequestedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Publishes a command and waits for its next terminal event.</summary>
    public Task Handle(CreateService command) => Handle(command, command.CommandId);

    /// <summary>Publishes a lifecycle command (stop, start, restart, remove) and waits for its next terminal event.</summary>
    public Task Handle<T>(T command, Guid commandId) where T : class => HandleAs(TestBrokerUser.Api, command, commandId);

    /// <summary>Like <see cref="Handle{T}"/>, published as the broker user <paramref name="brokerUser"/> ("" = no user_id).</summary>
    public async Task HandleAs<T>(string brokerUser, T command, Guid commandId) where T : class
    {
        var before = TerminalEvents(commandId);
        await PublishAs(brokerUser, command);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (TerminalEvents(commandId) == before)
        {
            Assert.True(DateTime.UtcNow < deadline, "The worker published no terminal event for the command.");
            await Task.Delay(10);
        }
    }

    /// <summary>Publishes as if the broker had authenticated <paramref name="brokerUser"/> as the sender ("" = no user_id).</summary>
    public Task PublishAs<T>(string brokerUser, T message) where T : class =>
        Harness.Bus.Publish(message, message.GetType(), context => context.Headers.Set(TestBrokerUser.Header, brokerUser));

    public int TerminalEvents(Guid commandId) =>
        Published<ServiceCreated>(e => e.CommandId == commandId).Count +
        Published<ServiceCreationFailed>(e => e.CommandId == commandId).Count +
        Published<ServiceStopped>(e => e.CommandId == commandId).Count +
        Published<ServiceStarted>(e => e.CommandId == commandId).Count +
        Published<ServiceRestarted>(e => e.CommandId == commandId).Count +
        Published<ServiceRemoved>(e => e.CommandId == commandId).Count +
        Published<ServiceCommandRejected>(e => e.CommandId == commandId).Count;

    public IReadOnlyList<T> Published<T>(Func<T, bool> match) where T : class =>
        Harness.Published.Select<T>().Select(m => m.Context.Message).Where(match).ToList();

    public async Task<int?> ReservedPort(Guid serviceId) =>
        (await Redis.HashGetAsync(Keys.ServicePorts, serviceId.ToString("D"))) is { HasValue: true } v ? (int)v : null;

    public async Task<Guid?> NameHolder(string name) => await Records.FindIdByNameAsync(name);

    public async ValueTask DisposeAsync()
    {
        await SystemCleanup.DeleteKeysAsync(_host.Services.GetRequiredService<IConnectionMultiplexer>(), KeyPrefix);
        await Harness.Stop();
        _host.Dispose();
    }
}
