using Messaging.State.Tokens;
using Messaging.Worker.Quotas;

namespace Messaging.UnitTests.Operations;

/// <summary>When an owner counts as near their quota (the gauge messaging_quota_owners_near_limit, alert MessagingQuotaNear).</summary>
public sealed class QuotaNearTests
{
    [Theory]
    [InlineData(5, 4, true)]    // 80% of the services
    [InlineData(5, 3, false)]
    [InlineData(10, 8, true)]
    [InlineData(10, 7, false)]
    [InlineData(1, 1, true)]
    [InlineData(0, 0, false)]   // nothing held: not near, whatever the limit
    public void Services_count_from_the_fraction_of_the_limit(int limit, int used, bool near) =>
        Assert.Equal(near, QuotaWatch.IsNear(new Quota(limit, null, null), new Usage(used, 0, 0), 0.8));

    [Fact]
    public void Any_one_limit_reached_is_enough()
    {
        var quota = new Quota(10, 1L << 30, 2.0);
        Assert.False(QuotaWatch.IsNear(quota, new Usage(1, 512L << 20, 1000), 0.8));
        Assert.True(QuotaWatch.IsNear(quota, new Usage(1, 820L << 20, 1000), 0.8));   // memory
        Assert.True(QuotaWatch.IsNear(quota, new Usage(1, 512L << 20, 1600), 0.8));   // CPUs: 1.6 of 2
    }

    [Fact]
    public void Unlimited_dimensions_never_count()
    {
        Assert.False(QuotaWatch.IsNear(Quota.Unlimited, new Usage(1000, 1L << 40, 1_000_000), 0.8));
        Assert.True(QuotaWatch.IsNear(new Quota(10, null, null), new Usage(9, 1L << 40, 0), 0.9));
    }
}
