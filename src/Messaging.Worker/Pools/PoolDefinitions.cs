using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Worker.Policy;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>
/// One configured pool, resolved against the allowlist: <see cref="Template"/> is what the policy approved for a
/// member (the same <see cref="CreateServicePolicy"/> every request goes through), so members get exactly the
/// hardening a cold creation of that image gets.
/// </summary>
public sealed record PoolDefinition(string Name, ApprovedService Template, int Size, TimeSpan MaxIdle)
{
    public long MemoryBytes => Template.MemoryBytes;
    public double Cpus => Template.CpuLimit;
}

/// <summary>
/// The operator's pools and the rule that decides which creations may take a member. A creation qualifies when
/// everything fixed at a container's creation is what the member already has:
/// <list type="bullet">
/// <item>the same allowlist entry and the same image (an owner's built image never: its owner is checked per request);</item>
/// <item>no <c>env</c> (the environment is fixed at creation) and no extra <c>hostnames</c> (a label fixed at creation);</item>
/// <item>the entry's default internal port (the port mapping is fixed at creation);</item>
/// <item>memory and CPUs at most the pool's profile (they are applied to the running member by <c>docker update</c>).</item>
/// </list>
/// Restart policy, max restarts and the unhealthy action live in the record, not the container, so they do not matter.
/// Among qualifying pools the smallest profile wins.
/// </summary>
public sealed class PoolDefinitions
{
    public const string MemberOwner = "pool";

    public PoolDefinitions(IOptions<PoolOptions> options, CreateServicePolicy policy)
    {
        var pools = new List<PoolDefinition>();
        if (options.Value.Enabled)
        {
            foreach (var entry in options.Value.Entries)
            {
                var (approved, refusal) = policy.Evaluate(new CreateService
                {
                    CommandId = Guid.NewGuid(), ServiceId = Guid.NewGuid(), ServiceName = "pool-member", Image = entry.Image,
                    MemoryLimit = entry.Memory, CpuLimit = entry.Cpus, RequestedBy = MemberOwner, RequestedAt = DateTimeOffset.UnixEpoch,
                });
                if (approved is null)
                    throw new OptionsValidationException(PoolOptions.Section, typeof(PoolOptions),
                        [$"Pool of '{entry.Image}': the policy refuses its members ({refusal!.Reason}: {refusal.Message})."]);
                var name = NameOf(approved);
                if (pools.Any(p => p.Name == name))
                    throw new OptionsValidationException(PoolOptions.Section, typeof(PoolOptions), [$"Two pools of '{entry.Image}' with the same profile."]);
                pools.Add(new PoolDefinition(name, approved, entry.Size, entry.MaxIdle));
            }
        }
        All = pools;
    }

    public IReadOnlyList<PoolDefinition> All { get; }

    /// <summary>The pool a creation may take a member from, or null with the reason it does not qualify.</summary>
    public (PoolDefinition? Pool, string? NotEligible) Match(ApprovedService service)
    {
        var command = service.Command;
        var sameImage = All.Where(p => ReferenceEquals(p.Template.Entry, service.Entry) && p.Template.Image == service.Image).ToList();
        if (sameImage.Count == 0)
            return (null, "no_pool");
        if (command.Env is { Count: > 0 })
            return (null, "env");
        if (command.Hostnames is { Count: > 0 })
            return (null, "hostnames");
        if (service.InternalPort != service.Entry.InternalPort)
            return (null, "internal_port");
        var fitting = sameImage.Where(p => service.MemoryBytes <= p.MemoryBytes && service.CpuLimit <= p.Cpus)
            .OrderBy(p => p.MemoryBytes).ThenBy(p => p.Cpus).FirstOrDefault();
        return fitting is null ? (null, "limits") : (fitting, null);
    }

    public PoolDefinition? Named(string name) => All.FirstOrDefault(p => p.Name == name);

    /// <summary>A name for Redis keys and labels: <c>nginx-alpine-128m-0.5</c>.</summary>
    private static string NameOf(ApprovedService approved) =>
        Regex.Replace(approved.Image.ToLowerInvariant(), "[^a-z0-9.]+", "-") + "-" + MemorySize.Format(approved.MemoryBytes) + "-" +
        approved.CpuLimit.ToString(CultureInfo.InvariantCulture);
}
