using Messaging.Contracts;
using Messaging.State.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Worker.Tests;

/// <summary>
/// A CreateService without limits (from the API or straight from the broker) runs with its image's default memory
/// and CPU: applied by the worker, which holds the allowlist, and counted by quotas like limits that were asked for.
/// </summary>
[Trait("Requires", "Redis")]
public sealed class LimitDefaultsTests : IAsyncLifetime
{
    private WorkerHarness _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Policy:AllowedImages:0:DefaultMemory"] = "96m",
        ["Policy:AllowedImages:0:DefaultCpus"] = "0.25",
    });

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    private static CreateService WithoutLimits(string owner = "alice") =>
        WorkerHarness.Command(name: $"d-{Guid.NewGuid():N}"[..20], owner: owner) with { MemoryLimit = null, CpuLimit = null };

    [Fact]
    public async Task A_command_without_limits_runs_with_the_entry_defaults_and_reports_them()
    {
        var command = WithoutLimits();
        await _worker.Handle(command);

        var created = Assert.Single(_worker.Published<ServiceCreated>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(96L * 1024 * 1024, created.MemoryBytes);
        Assert.Equal(0.25, created.CpuLimit);
        var spec = Assert.Single(_worker.Engine.Created);
        Assert.Equal(96L * 1024 * 1024, spec.MemoryBytes);
        Assert.Equal(250_000_000L, spec.NanoCpus);
        var record = (await _worker.Records.GetAsync(command.ServiceId))!;
        Assert.Equal("96m", record.MemoryLimit);
        Assert.Equal(0.25, record.CpuLimit);
    }

    [Fact]
    public async Task The_quota_counts_the_applied_defaults()
    {
        await _worker.Services.GetRequiredService<TokenStore>().SaveAsync(new TokenRecord
        {
            Id = "grace", Name = "grace", Scopes = ["services:write"], Sha256 = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
            CreatedAt = DateTimeOffset.UtcNow, MaxMemoryBytes = 150L * 1024 * 1024,
        });
        await _worker.Handle(WithoutLimits("grace"));
        var second = WithoutLimits("grace");
        await _worker.Handle(second);

        Assert.Equal(96L * 1024 * 1024, (await _worker.Services.GetRequiredService<TokenStore>().UsageOfAsync("grace")).MemoryBytes);
        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == second.ServiceId));
        Assert.Equal(FailureReasons.QuotaExceeded, failed.Reason);
        Assert.Contains("memory", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_limit_is_refused_even_though_an_absent_one_would_be_defaulted()
    {
        var command = WithoutLimits() with { CpuLimit = 0 };
        await _worker.Handle(command);

        var failed = Assert.Single(_worker.Published<ServiceCreationFailed>(e => e.ServiceId == command.ServiceId));
        Assert.Equal(FailureReasons.InvalidCommand, failed.Reason);
        Assert.Empty(_worker.Engine.Created);
    }
}
