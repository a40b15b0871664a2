using Messaging.ServiceDefaults;
using Messaging.ServiceDefaults.Bus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

/// <summary>The host defaults every process shares, checked without starting anything that needs a service.</summary>
public class HostDefaultsTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults("messaging-test", healthFile: false);
        builder.AddMessagingBus(_ => { });
        return builder.Build();
    }

    [Theory]
    [InlineData("RabbitMq:Host", "")]
    [InlineData("RabbitMq:Port", "0")]
    [InlineData("RabbitMq:Port", "70000")]
    [InlineData("RabbitMq:VHost", "")]
    [InlineData("RabbitMq:User", "")]
    [InlineData("RabbitMq:Pass", "")]
    public async Task A_broker_setting_that_cannot_work_stops_the_host_at_start_naming_the_setting(string key, string value)
    {
        using var host = Build(new() { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(key.Split(':')[1], error.Message);
    }

    [Fact]
    public void Broker_settings_come_from_the_RabbitMq_section()
    {
        using var host = Build(new() { ["RabbitMq:Host"] = "rabbitmq", ["RabbitMq:Port"] = "5673", ["RabbitMq:User"] = "worker", ["RabbitMq:Pass"] = "s3cret" });

        var options = host.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        Assert.Equal(("rabbitmq", 5673, "/", "worker", "s3cret"), (options.Host, options.Port, options.VHost, options.User, options.Pass));
    }

    [Fact]
    public void Console_lines_are_json_with_scopes_and_utc_timestamps()
    {
        using var host = Build([]);

        Assert.Equal(ConsoleFormatterNames.Json, host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        var json = host.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        Assert.True(json.IncludeScopes);
        Assert.True(json.UseUtcTimestamp);
    }

    [Fact]
    public void The_clock_is_the_system_clock()
    {
        using var host = Build([]);
        Assert.Same(TimeProvider.System, host.Services.GetRequiredService<TimeProvider>());
    }
}
