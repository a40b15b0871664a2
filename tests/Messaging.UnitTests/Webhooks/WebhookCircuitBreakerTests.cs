using Messaging.Audit.Notifications;
using Messaging.State.Webhooks;
using Messaging.Testing;
using Messaging.Validation.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.UnitTests.Webhooks;

/// <summary>
/// One try at a time through the audit host's real webhook client (<see cref="WebhookHttpClient"/>: address policy at
/// connection, attempt timeout, a circuit breaker per receiver) against receivers on loopback that answer, drop the
/// connection or hang.
/// </summary>
public sealed class WebhookCircuitBreakerTests
{
    private static WebhookSender Sender(Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateAddresses"] = "true", // the receivers listen on 127.0.0.1
            ["Webhooks:AttemptTimeout"] = "00:00:05", // long enough for a loaded machine; the hanging receiver's test shortens it
            ["Webhooks:BreakerMinimumThroughput"] = "3",
            ["Webhooks:BreakerFailureRatio"] = "0.5",
            ["Webhooks:BreakerSamplingDuration"] = "00:00:30",
            ["Webhooks:BreakDuration"] = "00:00:30",
        }).AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<WebhookAddressPolicy>()
            .AddSingleton<WebhookSender>();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddOptions<WebhookDeliveryOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddWebhookHttpClient();
        return services.BuildServiceProvider().GetRequiredService<WebhookSender>();
    }

    private static WebhookSubscription Subscription(string url) => new() { Id = WebhookStore.NewId(), Url = url, Secret = "s3cret" };

    private static DeliverWebhook Delivery(WebhookSubscription subscription) => new()
    {
        SubscriptionId = subscription.Id, EventType = "ServiceCreated", EventId = Guid.NewGuid().ToString("D"), Body = """{"id":"x"}""",
    };

    private static async Task<List<WebhookAttemptOutcome>> Try(WebhookSender sender, WebhookSubscription subscription, int times)
    {
        var outcomes = new List<WebhookAttemptOutcome>();
        for (var i = 0; i < times; i++)
            outcomes.Add(await sender.AttemptAsync(subscription, Delivery(subscription), CancellationToken.None));
        return outcomes;
    }

    [Fact]
    public async Task A_receiver_that_keeps_dropping_the_connection_is_skipped_without_a_connection_once_its_circuit_opens()
    {
        var sender = Sender();
        await using var dead = TcpReceiver.Replying(_ => ReceiverReply.Drop);
        var subscription = Subscription(dead.Url);

        var first = await Try(sender, subscription, 3);
        Assert.All(first, outcome => Assert.Equal((false, true, (int?)null), (outcome.Delivered, outcome.Retryable, outcome.StatusCode)));
        Assert.DoesNotContain(WebhookAttemptOutcome.CircuitOpen, first);
        Assert.Equal(3, dead.Connections);

        var skipped = await Try(sender, subscription, 5);
        Assert.All(skipped, outcome => Assert.Equal(WebhookAttemptOutcome.CircuitOpen, outcome));
        Assert.True(skipped[0].Retryable, "a skipped try is tried again later");
        Assert.Equal(3, dead.Connections);
    }

    [Fact]
    public async Task A_receiver_that_hangs_counts_against_its_circuit_by_its_timeouts_and_is_then_skipped()
    {
        var sender = Sender(new() { ["Webhooks:AttemptTimeout"] = "00:00:00.500" });
        await using var hanging = TcpReceiver.Replying(_ => ReceiverReply.Hang);
        var subscription = Subscription(hanging.Url);

        var timedOut = await Try(sender, subscription, 3);
        Assert.All(timedOut, outcome => Assert.False(outcome.Delivered));
        Assert.DoesNotContain(WebhookAttemptOutcome.CircuitOpen, timedOut);

        Assert.Equal(WebhookAttemptOutcome.CircuitOpen, Assert.Single(await Try(sender, subscription, 1)));
        // At most the three timed-out tries connected (a loaded machine may not have accepted the last one yet).
        Assert.InRange(hanging.Connections, 1, 3);
    }

    [Fact]
    public async Task An_open_circuit_is_kept_per_receiver_and_leaves_other_receivers_alone()
    {
        var sender = Sender();
        await using var dead = TcpReceiver.Replying(_ => ReceiverReply.Drop);
        await using var live = TcpReceiver.Answering(204);
        await Try(sender, Subscription(dead.Url), 4);
        Assert.Equal(WebhookAttemptOutcome.CircuitOpen, (await Try(sender, Subscription(dead.Url), 1))[0]);

        var delivered = await Try(sender, Subscription(live.Url), 3);
        Assert.All(delivered, outcome => Assert.Equal(new WebhookAttemptOutcome(true, false, 204, null), outcome));
        Assert.Equal(3, live.Connections);
    }

    [Fact]
    public async Task After_the_break_one_probe_goes_through_and_a_receiver_that_recovered_gets_its_deliveries_again()
    {
        var sender = Sender(new() { ["Webhooks:BreakDuration"] = "00:00:00.500" });
        // Down for its first three connections, then up.
        await using var receiver = TcpReceiver.Replying(n => n <= 3 ? ReceiverReply.Drop : ReceiverReply.Answer);
        var subscription = Subscription(receiver.Url);
        Assert.All(await Try(sender, subscription, 3), outcome => Assert.False(outcome.Delivered)); // the circuit opens here

        // No try during the break (a slow machine could let half a second pass between two tries, and that one would
        // be the probe); the first try after it is the probe, and its success closes the circuit.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var after = await Try(sender, subscription, 3);
        Assert.All(after, outcome => Assert.True(outcome.Delivered));
        Assert.Equal(6, receiver.Connections);
    }

    [Fact]
    public async Task A_receivers_final_answers_are_not_retried_and_do_not_open_its_circuit()
    {
        var sender = Sender();
        await using var receiver = TcpReceiver.Answering(404);
        var outcomes = await Try(sender, Subscription(receiver.Url), 6);
        Assert.All(outcomes, outcome => Assert.Equal(new WebhookAttemptOutcome(false, false, 404, "answered 404"), outcome));
        Assert.Equal(6, receiver.Connections);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")] // cloud metadata: refused even with private addresses allowed
    [InlineData("http://[::ffff:169.254.169.254]/")]
    public async Task A_metadata_address_is_refused_at_every_try(string url)
    {
        var sender = Sender();
        var outcomes = await Try(sender, Subscription(url), 5);
        Assert.All(outcomes, outcome => Assert.False(outcome.Delivered));
        // Refused by the connection step until the circuit opens; then not even attempted.
        Assert.All(outcomes.Take(3), outcome => Assert.Contains("Refused by policy", outcome.Error));
        Assert.All(outcomes.Skip(3), outcome => Assert.Equal(WebhookAttemptOutcome.CircuitOpen, outcome));
    }
}
