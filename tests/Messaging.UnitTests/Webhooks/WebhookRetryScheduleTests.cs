using System.ComponentModel.DataAnnotations;
using Messaging.Audit.Notifications;
using Microsoft.Extensions.Options;

namespace Messaging.UnitTests.Webhooks;

public sealed class WebhookRetryScheduleTests
{
    private static WebhookRetrySchedule Schedule(int maxAttempts = 8, double firstSeconds = 10, double maxSeconds = 600) =>
        new(Options.Create(new WebhookDeliveryOptions
        {
            MaxAttempts = maxAttempts, FirstRetryDelay = TimeSpan.FromSeconds(firstSeconds), MaxRetryDelay = TimeSpan.FromSeconds(maxSeconds),
        }));

    [Fact]
    public void Waits_double_after_each_failed_try_up_to_the_longest_wait()
    {
        var schedule = Schedule();
        Assert.Equal([10, 20, 40, 80, 160, 320, 600], Enumerable.Range(1, 7).Select(a => schedule.DelayAfter(a).TotalSeconds));
        Assert.Equal(TimeSpan.FromMinutes(10), Schedule(maxAttempts: 20).DelayAfter(19));
    }

    [Fact]
    public void A_delivery_is_tried_again_until_its_last_allowed_try()
    {
        var schedule = Schedule(maxAttempts: 3);
        Assert.True(schedule.MayRetry(1));
        Assert.True(schedule.MayRetry(2));
        Assert.False(schedule.MayRetry(3));
        Assert.False(Schedule(maxAttempts: 1).MayRetry(1));
    }

    [Fact]
    public void There_is_one_wait_queue_per_distinct_wait_named_after_it()
    {
        Assert.Equal(
            ["webhook-attempts-wait-10000ms", "webhook-attempts-wait-20000ms", "webhook-attempts-wait-40000ms", "webhook-attempts-wait-80000ms",
             "webhook-attempts-wait-160000ms", "webhook-attempts-wait-320000ms", "webhook-attempts-wait-600000ms"],
            Schedule(maxAttempts: 12).Delays.Select(WebhookRetrySchedule.WaitQueue));
        Assert.Empty(Schedule(maxAttempts: 1).Delays);
    }

    [Theory]
    [InlineData(0.0, 1000)]
    [InlineData(0.5, 900)]
    [InlineData(0.999999, 800)]
    public void Jitter_takes_up_to_a_fifth_off_a_wait_and_never_adds_to_it(double random, double expectedMs) =>
        Assert.Equal(expectedMs, WebhookRetrySchedule.Jittered(TimeSpan.FromSeconds(1), random).TotalMilliseconds);

    [Fact]
    public void A_longest_wait_shorter_than_the_first_is_refused_at_start()
    {
        var options = new WebhookDeliveryOptions { FirstRetryDelay = TimeSpan.FromMinutes(1), MaxRetryDelay = TimeSpan.FromSeconds(10) };
        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains(nameof(WebhookDeliveryOptions.MaxRetryDelay)));
    }
}
