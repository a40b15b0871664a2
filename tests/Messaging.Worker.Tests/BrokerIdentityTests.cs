using MassTransit;
using Messaging.Contracts;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>
/// Who a command acts for comes from the publisher's broker user (AMQP user_id), never from its requestedBy:
/// the API's user names a token's owner, any other user acts as system:&lt;user&gt; on its own services only.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class BrokerIdentityTests : IAsyncLifetime
{
    private const string Billing = "billing-system";
    private WorkerHarness _worker = null!;
    private CreateService _alices = null!;

    public async Task InitializeAsync()
    {
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Quotas:Systems:Default:MaxServices"] = "2",
            ["Quotas:Systems:Users:big-system:MaxServices"] = "3",
        });
        _alices = WorkerHarness.Command(name: "alices", owner: "alice");
        await _worker.Handle(_alices); // through the API
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == _alices.ServiceId));
    }

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    public static TheoryData<string> Lifecycle => [nameof(StopService), nameof(RestartService), nameof(RemoveService)];

    private static object LifecycleCommand(string type, Guid commandId, Guid serviceId, string requestedBy) => type switch
    {
        nameof(StopService) => new StopService { CommandId = commandId, ServiceId = serviceId, RequestedBy = requestedBy, RequestedAt = DateTimeOffset.UtcNow },
        nameof(StartService) => new StartService { CommandId = commandId, ServiceId = serviceId, RequestedBy = requestedBy, RequestedAt = DateTimeOffset.UtcNow },
        nameof(RestartService) => new RestartService { CommandId = commandId, ServiceId = serviceId, RequestedBy = requestedBy, RequestedAt = DateTimeOffset.UtcNow },
        _ => new RemoveService { CommandId = commandId, ServiceId = serviceId, RequestedBy = requestedBy, RequestedAt = DateTimeOffset.UtcNow },
    };

    private async Task<ServiceCommandRejected?> SendLifecycle(string brokerUser, string type, Guid serviceId, string requestedBy)
    {
        var commandId = NewId.NextGuid();
        await _worker.HandleAs(brokerUser, LifecycleCommand(type, commandId, serviceId, requestedBy), commandId);
        return _worker.Published<ServiceCommandRejected>(e => e.CommandId == commandId).SingleOrDefault();
    }

    private async Task AssertAlicesServiceUntouched()
    {
        var record = await _worker.Records.GetAsync(_alices.ServiceId);
        Assert.Equal(ServiceStatus.Running, record!.Status);
        Assert.Equal("alice", record.Owner);
        Assert.True(_worker.Engine.Containers["unit-" + _alices.ServiceName].Running);
        Assert.NotNull(await _worker.ReservedPort(_alices.ServiceId));
    }

    [Theory]
    [MemberData(nameof(Lifecycle))]
    public async Task A_system_naming_another_owner_is_refused_as_not_found_and_nothing_changes(string type)
    {
        foreach (var claimed in new[] { "alice", "admin", "system:billing-system" })
        {
            var rejected = await SendLifecycle(Billing, type, _alices.ServiceId, claimed);
            Assert.Equal(RejectionReasons.NotFound, rejected?.Reason);
            Assert.Null(rejected!.Status); // nothing about the service leaks
        }
        await AssertAlicesServiceUntouched();
    }

    [Theory]
    [MemberData(nameof(Lifecycle))]
    public async Task A_command_without_user_id_is_refused_and_nothing_changes(string type)
    {
        var rejected = await SendLifecycle("", type, _alices.ServiceId, "alice");
        Assert.Equal(RejectionReasons.InvalidCommand, rejected?.Reason);
        Assert.Contains("user_id", rejected!.Message);
        await AssertAlicesServiceUntouched();
    }

    [Fact]
    public async Task A_create_without_user_id_fails_and_runs_nothing()
    {
        var command = WorkerHarness.Command(name: "anonymous", owner: "alice");
        await _worker.HandleAs("", command, command.CommandId);
        Assert.Equal(FailureReasons.InvalidCommand,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId)).Reason);
        Assert.Null(await _worker.Records.GetAsync(command.ServiceId));
        Assert.False(_worker.Engine.Containers.ContainsKey("anonymous"));
    }

    [Fact]
    public async Task A_system_creates_as_itself_whatever_it_names_and_spends_no_token_quota()
    {
        await _worker.Services.GetRequiredService<TokenStore>().SaveAsync(new TokenRecord
        {
            Id = "alice", Name = "alice", Scopes = ["services:write"], Sha256 = new string('a', 64), CreatedAt = DateTimeOffset.UtcNow, MaxServices = 5,
        });
        var before = await _worker.Services.GetRequiredService<TokenStore>().UsageOfAsync("alice");
        var command = WorkerHarness.Command(name: "billing-report", owner: "alice");
        await _worker.HandleAs(Billing, command, command.CommandId);

        var created = Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
        Assert.Equal("system:billing-system", created.Owner);
        Assert.Equal("system:billing-system", (await _worker.Records.GetAsync(command.ServiceId))!.Owner);
        Assert.Equal(before, await _worker.Services.GetRequiredService<TokenStore>().UsageOfAsync("alice"));
        Assert.Equal(1, (await _worker.Services.GetRequiredService<TokenStore>().UsageOfAsync("system:billing-system")).Services);
    }

    [Fact]
    public async Task A_system_stops_and_removes_its_own_service()
    {
        var command = WorkerHarness.Command(name: "billing-own", owner: Billing);
        await _worker.HandleAs(Billing, command, command.CommandId);
        Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));

        Assert.Null(await SendLifecycle(Billing, nameof(StopService), command.ServiceId, Billing));
        Assert.Null(await SendLifecycle(Billing, nameof(RemoveService), command.ServiceId, "anything"));
        var removed = Assert.Single(_worker.Published<ServiceRemoved>(e => e.ServiceId == command.ServiceId));
        Assert.Equal("system:billing-system", removed.RequestedBy);
        Assert.False(_worker.Engine.Containers.ContainsKey("billing-own"));
    }

    [Fact]
    public async Task Another_system_cannot_touch_a_systems_service()
    {
        var command = WorkerHarness.Command(name: "billing-mine", owner: Billing);
        await _worker.HandleAs(Billing, command, command.CommandId);
        var rejected = await SendLifecycle("other-system", nameof(RemoveService), command.ServiceId, "system:billing-system");
        Assert.Equal(RejectionReasons.NotFound, rejected?.Reason);
        Assert.True(_worker.Engine.Containers["unit-billing-mine"].Running);
    }

    [Fact]
    public async Task The_api_may_not_name_an_owner_in_the_systems_namespace()
    {
        var command = WorkerHarness.Command(name: "api-as-system", owner: "system:billing-system");
        await _worker.Handle(command);
        Assert.Equal(FailureReasons.InvalidCommand,
            Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId)).Reason);
        Assert.False(_worker.Engine.Containers.ContainsKey("api-as-system"));
    }

    [Fact]
    public async Task Stats_are_read_only_for_the_api_or_the_owning_system()
    {
        var client = _worker.Harness.GetRequestClient<GetServiceStats>();
        var asSystem = await client.GetResponse<ServiceStats, ServiceStatsUnavailable>(new GetServiceStats { ServiceId = _alices.ServiceId },
            request => request.UseExecute(context => context.Headers.Set(TestBrokerUser.Header, Billing)));
        Assert.True(asSystem.Is(out Response<ServiceStatsUnavailable>? refused));
        Assert.Equal(RejectionReasons.NotFound, refused!.Message.Reason);

        var anonymous = await client.GetResponse<ServiceStats, ServiceStatsUnavailable>(new GetServiceStats { ServiceId = _alices.ServiceId },
            request => request.UseExecute(context => context.Headers.Set(TestBrokerUser.Header, "")));
        Assert.True(anonymous.Is(out Response<ServiceStatsUnavailable>? _));

        var asApi = await client.GetResponse<ServiceStats, ServiceStatsUnavailable>(new GetServiceStats { ServiceId = _alices.ServiceId });
        Assert.True(asApi.Is(out Response<ServiceStats>? _));
    }

    [Fact]
    public async Task Logs_are_read_only_for_the_api_or_the_owning_system()
    {
        var client = _worker.Harness.GetRequestClient<GetServiceLogs>();
        var asSystem = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(new GetServiceLogs { ServiceId = _alices.ServiceId, Tail = 2 },
            request => request.UseExecute(context => context.Headers.Set(TestBrokerUser.Header, Billing)));
        Assert.True(asSystem.Is(out Response<ServiceLogsUnavailable>? refused));
        Assert.Equal(RejectionReasons.NotFound, refused!.Message.Reason);

        var anonymous = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(new GetServiceLogs { ServiceId = _alices.ServiceId, Tail = 2 },
            request => request.UseExecute(context => context.Headers.Set(TestBrokerUser.Header, "")));
        Assert.True(anonymous.Is(out Response<ServiceLogsUnavailable>? _));

        var asApi = await client.GetResponse<ServiceLogs, ServiceLogsUnavailable>(new GetServiceLogs { ServiceId = _alices.ServiceId, Tail = 2 });
        Assert.True(asApi.Is(out Response<ServiceLogs>? _));
    }

    [Fact]
    public async Task A_system_gets_the_default_quota_and_a_configured_one_its_own()
    {
        for (var i = 0; i < 2; i++)
        {
            var ok = WorkerHarness.Command(name: $"billing-q{i}", owner: Billing, memory: "64m", cpus: 0.25);
            await _worker.HandleAs(Billing, ok, ok.CommandId);
            Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == ok.ServiceId));
        }
        var third = WorkerHarness.Command(name: "billing-q2", owner: Billing, memory: "64m", cpus: 0.25);
        await _worker.HandleAs(Billing, third, third.CommandId);
        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == third.ServiceId));
        Assert.Equal(FailureReasons.QuotaExceeded, failed.Reason);
        Assert.False(_worker.Engine.Containers.ContainsKey("billing-q2"));
        Assert.Null(await _worker.ReservedPort(third.ServiceId));

        for (var i = 0; i < 3; i++)
        {
            var ok = WorkerHarness.Command(name: $"big-q{i}", owner: "big-system", memory: "64m", cpus: 0.25);
            await _worker.HandleAs("big-system", ok, ok.CommandId);
            Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == ok.ServiceId));
        }
    }

    [Fact]
    public async Task Concurrent_creates_of_one_system_never_overshoot_its_quota()
    {
        var commands = Enumerable.Range(0, 8).Select(i => WorkerHarness.Command(name: $"race-{i}", owner: "x", memory: "64m", cpus: 0.25)).ToList();
        await Task.WhenAll(commands.Select(c => _worker.PublishAs("racer", c)));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (commands.Sum(c => _worker.TerminalEvents(c.CommandId)) < commands.Count && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(2, commands.Count(c => _worker.Published<ServiceCreated>(e => e.ServiceId == c.ServiceId).Count == 1));
        Assert.Equal(6, commands.Count(c => _worker.Published<ServiceCreationFailed>(e => e.ServiceId == c.ServiceId && e.Reason == FailureReasons.QuotaExceeded).Count == 1));
    }
}
