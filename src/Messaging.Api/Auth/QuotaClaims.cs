using System.Globalization;
using Messaging.State.Tokens;

namespace Messaging.Api.Auth;

/// <summary>
/// The token's quota travels in the principal: authentication has just read the token record, so the
/// create endpoint's early quota answer needs no second read of it. (The worker re-reads the quota from
/// Redis: it trusts no caller, and it is the one that enforces it.)
/// </summary>
public static class QuotaClaims
{
    private const string MaxServices = "quota:max_services";
    private const string MaxMemoryBytes = "quota:max_memory_bytes";
    private const string MaxCpus = "quota:max_cpus";

    public static IEnumerable<Claim> For(Quota quota)
    {
        if (quota.MaxServices is { } services)
            yield return new Claim(MaxServices, services.ToString(CultureInfo.InvariantCulture));
        if (quota.MaxMemoryBytes is { } memory)
            yield return new Claim(MaxMemoryBytes, memory.ToString(CultureInfo.InvariantCulture));
        if (quota.MaxCpus is { } cpus)
            yield return new Claim(MaxCpus, cpus.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>The caller's quota; unlimited when the token has none (the bootstrap admin included).</summary>
    public static Quota Quota(this ClaimsPrincipal user)
    {
        var services = user.FindFirstValue(MaxServices);
        var memory = user.FindFirstValue(MaxMemoryBytes);
        var cpus = user.FindFirstValue(MaxCpus);
        if (services is null && memory is null && cpus is null)
            return State.Tokens.Quota.Unlimited;
        return new Quota(
            services is null ? null : int.Parse(services, CultureInfo.InvariantCulture),
            memory is null ? null : long.Parse(memory, CultureInfo.InvariantCulture),
            cpus is null ? null : double.Parse(cpus, CultureInfo.InvariantCulture));
    }
}
