using Messaging.State.Tokens;
using Messaging.Worker.Identity;
using Messaging.Worker.Reconciliation;
using Messaging.Worker.Telemetry;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Quotas;

/// <summary>
/// How many owners are near their quota, for the gauge <c>messaging_quota_owners_near_limit</c>: one number, so the
/// series stays bounded however many owners there are (a series per owner would not). Recounted after each reconcile
/// pass from the owners of the containers that pass listed (an owner without a container holds nothing), a quota and
/// a usage read per owner: no Redis scan, and nothing at scrape time. Only the worker that ran the last pass knows the
/// count; a count older than two reconciler intervals is not reported at all, so that a worker which stopped running
/// passes drops out of <c>max(...)</c> instead of repeating an old number.
/// </summary>
public sealed class QuotaWatch(
    TokenStore tokens,
    IOptions<SystemQuotaOptions> systemQuotas,
    IOptions<QuotaWatchOptions> options,
    IOptions<ReconcilerOptions> reconciler,
    TimeProvider clock)
{
    private readonly Lock _gate = new();
    private (long Owners, DateTimeOffset At)? _last;

    /// <summary>The last count while it is fresh, else null (no measurement).</summary>
    public long? Current
    {
        get
        {
            lock (_gate)
                return _last is { } last && clock.GetUtcNow() - last.At <= 2 * reconciler.Value.Interval ? last.Owners : null;
        }
    }

    /// <summary>True when the usage reaches <paramref name="fraction"/> of any limit the quota sets (a limit of 0 counts once anything is held).</summary>
    public static bool IsNear(Quota quota, Usage usage, double fraction) =>
        Reaches(usage.Services, quota.MaxServices, fraction)
        || Reaches(usage.MemoryBytes, quota.MaxMemoryBytes, fraction)
        || Reaches(usage.MilliCpus, quota.MaxCpus is { } cpus ? (long)Math.Floor(cpus * 1000) : null, fraction);

    private static bool Reaches(long used, long? limit, double fraction) => limit is { } max && used > 0 && used >= fraction * max;

    /// <summary>Counts the owners near their quota among <paramref name="owners"/> and keeps the number for the gauge.</summary>
    public async Task<long> RecountAsync(IEnumerable<string> owners)
    {
        long near = 0;
        foreach (var owner in owners.Distinct())
        {
            if (await QuotaOfAsync(owner) is { } quota && quota != Quota.Unlimited
                && IsNear(quota, await tokens.UsageOfAsync(owner), options.Value.NearFraction))
                near++;
        }
        lock (_gate)
            _last = (near, clock.GetUtcNow());
        return near;
    }

    /// <summary>A usable token's quota, a system's configured one; null for a revoked or expired token (it cannot ask for more).</summary>
    private async Task<Quota?> QuotaOfAsync(string owner)
    {
        if (owner.StartsWith(CommandIdentity.SystemPrefix, StringComparison.Ordinal))
            return systemQuotas.Value.QuotaOf(owner[CommandIdentity.SystemPrefix.Length..]);
        var token = await tokens.GetAsync(owner);
        return token is not null && token.IsUsableAt(clock.GetUtcNow()) ? token.Quota : null;
    }
}

/// <summary>Registers the gauge once the services exist.</summary>
internal sealed class QuotaNearGauge(WorkerTelemetry telemetry, QuotaWatch watch) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        telemetry.ObserveQuotaNear(() => watch.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
