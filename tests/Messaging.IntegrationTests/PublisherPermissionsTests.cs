using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Messaging.IntegrationTests;

/// <summary>
/// infra/rabbitmq/add-publisher.sh for real: the user it makes may publish commands (attributed to it in the
/// audit trail), and may neither publish an event nor declare a queue.
/// </summary>
[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class PublisherPermissionsTests(SystemFixture system)
{
    internal static async Task<(int Code, string Output)> Run(string file, string[] arguments, Dictionary<string, string>? environment = null, int timeoutSeconds = 60)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? [])
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds)).Token);
        return (process.ExitCode, await output + await error);
    }

    internal static string Script()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            directory = directory.Parent;
        return Path.Combine(directory!.FullName, "infra", "rabbitmq", "add-publisher.sh");
    }

    [Fact]
    public async Task A_publisher_user_may_publish_commands_and_is_refused_everything_else()
    {
        var name = $"it-pub-{Guid.NewGuid():N}"[..20];
        var password = $"pw-{Guid.NewGuid():N}";
        var (code, output) = await Run("bash", [Script(), name], new() { ["PUBLISHER_PASSWORD"] = password });
        Assert.True(code == 0, output);
        try
        {
            await using var connection = await RawAmqp.ConnectAsync(name, password);

            // Allowed: a command. The image is not on the allowlist, so the worker refuses it and makes nothing.
            var serviceId = Guid.NewGuid();
            await using (var channel = await RawAmqp.ConfirmingChannelAsync(connection))
                await RawAmqp.PublishAsync(channel, "CreateService", RawAmqp.CreateService(serviceId, $"pub-{Guid.NewGuid():N}"[..16], name, "ubuntu:latest"), userId: name);
            var failed = await system.Events.WaitFor<ServiceCreationFailed>(e => e.ServiceId == serviceId, TimeSpan.FromSeconds(30));
            Assert.Equal(FailureReasons.ImageNotAllowed, failed.Reason);

            // Refused: forging an event.
            await using (var channel = await RawAmqp.ConfirmingChannelAsync(connection))
            {
                await Assert.ThrowsAnyAsync<Exception>(() => RawAmqp.PublishAsync(channel, "ServiceCreated", new { serviceId }, userId: name));
                Assert.Equal((ushort?)Constants.AccessRefused, await CloseCode(channel));
            }

            // Refused: declaring a queue (to read anything).
            await using (var channel = await connection.CreateChannelAsync())
            {
                var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclareAsync($"{name}-spy", false, false, true));
                Assert.Equal((ushort)Constants.AccessRefused, refused.ShutdownReason!.ReplyCode);
            }

            // Attributed: the audit trail names the publisher as the actor of its command.
            using var admin = system.Api();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            JsonElement items;
            do
            {
                items = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor={name}&type=CreateService")).GetProperty("items");
            } while (items.GetArrayLength() == 0 && DateTime.UtcNow < deadline && await Task.Delay(50).ContinueWith(_ => true));
            Assert.Equal(serviceId, Assert.Single(items.EnumerateArray()).GetProperty("service_id").GetGuid());
        }
        finally
        {
            var (deleted, deleteOutput) = await Run("rabbitmqctl", ["-q", "delete_user", name]);
            Assert.True(deleted == 0, deleteOutput);
        }
    }

    /// <summary>The reply code the broker closed the channel with (it closes it asynchronously after a refused publish).</summary>
    private static async Task<ushort?> CloseCode(IChannel channel)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (channel.CloseReason is null && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        return channel.CloseReason?.ReplyCode;
    }
}
