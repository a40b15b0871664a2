using System.Net;
using Messaging.ServiceDefaults;
using Messaging.ServiceDefaults.Bus;
using Messaging.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests;

/// <summary>The broker and Redis passwords come from files (compose secrets) named by RabbitMq:PassFile and Redis:PasswordFile.</summary>
public sealed class SecretFileTests : IDisposable
{
    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("messaging-secret-files-");

    public void Dispose() => _secrets.Delete(recursive: true);

    private string Secret(string name, string content)
    {
        var path = Path.Combine(_secrets.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults("messaging-test", healthFile: false);
        builder.AddMessagingBus(_ => { });
        return builder.Build();
    }

    [Fact]
    public void The_broker_password_is_the_first_line_of_the_file_PassFile_names_and_wins_over_Pass()
    {
        using var host = Build(new()
        {
            ["RabbitMq:User"] = "messaging-api", ["RabbitMq:Pass"] = "from-the-environment",
            ["RabbitMq:PassFile"] = Secret("rabbitmq-api-password", "0f3c9a\n"),
        });

        var options = host.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        Assert.Equal(("messaging-api", "0f3c9a"), (options.User, options.Pass));
    }

    [Fact]
    public void The_Redis_user_and_the_password_from_its_file_replace_those_in_the_connection_string()
    {
        using var host = Build(new()
        {
            ["Redis:Configuration"] = "redis:6379,user=default,password=old",
            ["Redis:User"] = "messaging-audit",
            ["Redis:PasswordFile"] = Secret("redis-audit-password", "9b1e77\r\n"),
        });

        var client = RedisConnection.ClientOptions(host.Services.GetRequiredService<IOptions<RedisOptions>>().Value);
        Assert.Equal(("messaging-audit", "9b1e77"), (client.User, client.Password));
        var endpoint = Assert.IsType<DnsEndPoint>(client.EndPoints.Single());
        Assert.Equal(("redis", 6379), (endpoint.Host, endpoint.Port));
    }

    [Theory]
    [InlineData("RabbitMq:PassFile", "missing")]
    [InlineData("RabbitMq:PassFile", "empty")]
    [InlineData("Redis:PasswordFile", "missing")]
    [InlineData("Redis:PasswordFile", "empty")]
    public async Task A_secret_file_that_is_missing_or_empty_stops_the_host_at_start_naming_the_setting(string setting, string problem)
    {
        var path = problem == "empty" ? Secret("empty-password", "\n") : Path.Combine(_secrets.FullName, "no-such-file");
        using var host = Build(new() { [setting] = path });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        Assert.Contains(setting, error.Message);
        Assert.Contains(path, error.Message);
    }
}
