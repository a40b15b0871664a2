using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Api.Tests;

/// <summary>What the API must not start: each of these costs resident memory for nothing it uses (docs/BENCHMARKS.md).</summary>
[Trait("Requires", "Redis")]
public sealed class StartupFootprintTests(ApiApplication app) : IClassFixture<ApiApplication>
{
    [Fact]
    public void Data_protection_is_not_started_bearer_tokens_need_no_key_ring()
    {
        var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType().FullName ?? "").ToList();

        Assert.NotEmpty(hosted); // MassTransit's bus host at least: the list is real
        Assert.DoesNotContain(hosted, name => name.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));
    }
}
