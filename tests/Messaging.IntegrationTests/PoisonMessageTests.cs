using System.Text;
using MassTransit;
using Messaging.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Messaging.IntegrationTests;

[Collection(SystemCollection.Name)]
[Trait("Requires", "Redis"), Trait("Requires", "RabbitMq"), Trait("Requires", "Docker")]
public sealed class PoisonMessageTests(SystemFixture system)
{
    [Fact]
    public async Task A_poison_message_ends_in_the_error_queue_with_fault_headers_and_the_worker_keeps_serving()
    {
        var messageId = Guid.NewGuid().ToString();
        await using (var connection = await RawAmqp.ConnectAsync())
        await using (var channel = await RawAmqp.ConfirmingChannelAsync(connection))
        {
            // Straight into the worker's queue, as a broken publisher would: not JSON at all.
            await channel.BasicPublishAsync("", CommandQueues.CreateService, mandatory: true,
                new BasicProperties { ContentType = RawAmqp.ContentType, MessageId = messageId, Persistent = true },
                Encoding.UTF8.GetBytes("{\"message\": this is not json"));
        }

        var faulted = await FindInErrorQueue(messageId);
        Assert.True(faulted.ContainsKey("MT-Fault-ExceptionType"), string.Join(", ", faulted.Keys));
        Assert.True(faulted.ContainsKey("MT-Fault-Message"));

        // The worker goes on with the next command.
        var command = new CreateService
        {
            CommandId = NewId.NextGuid(), ServiceId = Guid.NewGuid(), ServiceName = $"it-after-poison-{Guid.NewGuid():N}"[..24],
            Image = "nginx:alpine", MemoryLimit = "64m", CpuLimit = 0.25, RequestedBy = "billing-system", RequestedAt = DateTimeOffset.UtcNow,
        };
        await system.Events.Publish(command);
        await system.Events.WaitFor<ServiceCreated>(e => e.CommandId == command.CommandId);
    }

    /// <summary>Reads the error queue until our message shows up; others' messages are put back.</summary>
    private static async Task<IDictionary<string, object?>> FindInErrorQueue(string messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = await RawAmqp.ConnectAsync();
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                BasicGetResult? got;
                var others = new List<ulong>();
                while ((got = await channel.BasicGetAsync(CommandQueues.CreateService + "_error", autoAck: false)) is not null)
                {
                    if (got.BasicProperties.MessageId == messageId)
                    {
                        await channel.BasicAckAsync(got.DeliveryTag, multiple: false);
                        foreach (var tag in others)
                            await channel.BasicNackAsync(tag, multiple: false, requeue: true);
                        return got.BasicProperties.Headers ?? new Dictionary<string, object?>();
                    }
                    others.Add(got.DeliveryTag);
                }
                foreach (var tag in others)
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true);
            }
            catch (OperationInterruptedException)
            {
                // The error queue does not exist until the first fault.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("The poison message never reached the error queue.");
    }
}
