using Messaging.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

/// <summary>
/// A hardening rule an allowlist entry breaks stops the worker at start, with the entry and the rule named:
/// a worker that ran anyway would create containers as root or with capabilities nobody approved.
/// </summary>
public class WorkerStartupPolicyTests
{
    private static async Task<string> StartFailure(Dictionary<string, string?> entry)
    {
        // The worker's appsettings.json is in this directory too (entries 0 and 1 shipped): the bad entry is added at 2.
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:AllowedImages:0:Image"] = "nginx:alpine",
            ["Policy:AllowedImages:0:User"] = "101:101",
        });
        builder.Configuration.AddInMemoryCollection(entry.ToDictionary(pair => "Policy:" + pair.Key, pair => pair.Value));
        builder.AddWorker();
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        return error.Message;
    }

    [Fact]
    public async Task An_entry_that_names_no_user_and_does_not_say_it_runs_as_root_stops_the_worker()
    {
        var message = await StartFailure(new() { ["AllowedImages:2:Image"] = "redis:7" });
        Assert.Contains("'redis:7': no User", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_running_as_uid_0_stops_the_worker()
    {
        var message = await StartFailure(new() { ["AllowedImages:2:Image"] = "redis:7", ["AllowedImages:2:User"] = "0:0" });
        Assert.Contains("'redis:7': User '0:0' is root", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_granting_a_capability_the_operator_did_not_opt_into_stops_the_worker()
    {
        var message = await StartFailure(new()
        {
            ["AllowedImages:2:Image"] = "redis:7", ["AllowedImages:2:User"] = "999:999", ["AllowedImages:2:Capabilities:0"] = "DAC_OVERRIDE",
        });
        Assert.Contains("capability DAC_OVERRIDE is not allowed", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_opt_in_of_a_capability_outside_docker_s_tame_defaults_stops_the_worker()
    {
        var message = await StartFailure(new() { ["AllowedCapabilities:0"] = "SYS_ADMIN" });
        Assert.Contains("Policy:AllowedCapabilities: SYS_ADMIN is never granted", message, StringComparison.Ordinal);
    }
}
