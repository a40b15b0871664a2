using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using Messaging.Worker.Containers;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Pools;

/// <summary>Which service a claimed member is: what its labels would say had it been created for that service.</summary>
public sealed record ClaimBinding(Guid MemberId, Guid ServiceId, string Owner, string ServiceName, Guid CommandId, long MemoryBytes, long NanoCpus);

/// <summary>
/// Where a claim lives so that it survives Redis: on the engine, as an empty labelled volume named after the member
/// (<c>{instance}-claim-{member}</c>), written before the member is renamed. A container's labels are fixed at
/// creation, and a member is created before anyone asks for it; the claim volume carries the labels it lacks
/// (service id, owner, name, command id, limits). Everything that knows containers by their labels (the runtime's
/// ownership check, the reconciler, the supervisor) sees a claimed member through <see cref="EffectiveLabelsAsync"/>
/// as the service's own container, so after FLUSHALL the reconciler rebuilds its record and reservation like any other.
/// The volume name is also the engine's fence against a double claim: the engine creates one volume per name and
/// answers a second create with the first one's labels, so the first writer wins and the second sees it lost.
/// A claim is written once and never changes, so bindings are cached for the life of the worker.
/// </summary>
public sealed class PoolClaimBook(IDockerClient docker, IOptions<DockerOptions> options)
{
    private readonly ConcurrentDictionary<Guid, ClaimBinding> _known = new();
    private string Instance => options.Value.Instance;

    public string VolumeName(Guid memberId) => $"{Instance}-claim-{memberId:N}";

    /// <summary>Writes the claim; returns the binding in force, which is another service's when someone claimed the member first.</summary>
    public async Task<ClaimBinding> WriteAsync(ClaimBinding claim, CancellationToken cancellationToken)
    {
        var volume = await docker.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = VolumeName(claim.MemberId),
            Driver = "local",
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "true",
                [ContainerLabels.Instance] = Instance,
                [PoolLabels.Claim] = "true",
                [PoolLabels.Member] = claim.MemberId.ToString("D"),
                [ContainerLabels.ServiceId] = claim.ServiceId.ToString("D"),
                [ContainerLabels.Owner] = claim.Owner,
                [ContainerLabels.ServiceName] = claim.ServiceName,
                [ContainerLabels.CommandId] = claim.CommandId.ToString("D"),
                [PoolLabels.MemoryBytes] = claim.MemoryBytes.ToString(CultureInfo.InvariantCulture),
                [PoolLabels.NanoCpus] = claim.NanoCpus.ToString(CultureInfo.InvariantCulture),
            },
        }, cancellationToken);
        var inForce = Parse(volume.Labels) ?? throw new InvalidOperationException($"Volume {volume.Name} is no claim of ours.");
        _known[inForce.MemberId] = inForce;
        return inForce;
    }

    /// <summary>The claim of a member, or null when it is unclaimed.</summary>
    public async Task<ClaimBinding?> FindAsync(Guid memberId, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue(memberId, out var known))
            return known;
        try
        {
            var volume = await docker.Volumes.InspectAsync(VolumeName(memberId), cancellationToken);
            if (Parse(volume.Labels) is { } found && found.MemberId == memberId)
                return _known[memberId] = found;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        return null;
    }

    /// <summary>
    /// The claim a service already holds on the engine, or null: a redelivered command whose first delivery wrote its
    /// claim before Redis was lost must take that member again, never a second one.
    /// </summary>
    public async Task<ClaimBinding?> FindForServiceAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var listed = await docker.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{PoolLabels.Claim}=true"] = true,
                    [$"{ContainerLabels.Instance}={Instance}"] = true,
                    [$"{ContainerLabels.ServiceId}={serviceId:D}"] = true,
                },
            },
        }, cancellationToken);
        return (listed.Volumes ?? []).Select(v => Parse(v.Labels) is { } claim && v.Name == VolumeName(claim.MemberId) ? claim : null)
            .FirstOrDefault(c => c?.ServiceId == serviceId);
    }

    /// <summary>Every claim of this instance on the engine.</summary>
    public async Task<IReadOnlyList<ClaimBinding>> ListAsync(CancellationToken cancellationToken)
    {
        var listed = await docker.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{PoolLabels.Claim}=true"] = true,
                    [$"{ContainerLabels.Instance}={Instance}"] = true,
                },
            },
        }, cancellationToken);
        var claims = new List<ClaimBinding>();
        foreach (var volume in listed.Volumes ?? [])
        {
            if (Parse(volume.Labels) is { } claim && volume.Name == VolumeName(claim.MemberId))
                claims.Add(_known[claim.MemberId] = claim);
        }
        return claims;
    }

    /// <summary>Removes a claim whose member container is gone (or was never renamed and is given up).</summary>
    public async Task RemoveAsync(Guid memberId, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Volumes.RemoveAsync(VolumeName(memberId), force: true, cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
        _known.TryRemove(memberId, out _);
    }

    /// <summary>
    /// A container's labels as the rest of the worker should read them: a claimed member's carry its claim's service
    /// labels; every other container's are returned as they are (no engine call).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> EffectiveLabelsAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        if (PoolLabels.MemberOf(labels) is not { } memberId || await FindAsync(memberId, cancellationToken) is not { } claim)
            return labels;
        return new Dictionary<string, string>(labels)
        {
            [ContainerLabels.ServiceId] = claim.ServiceId.ToString("D"),
            [ContainerLabels.Owner] = claim.Owner,
            [ContainerLabels.ServiceName] = claim.ServiceName,
            [ContainerLabels.CommandId] = claim.CommandId.ToString("D"),
        };
    }

    private ClaimBinding? Parse(IDictionary<string, string>? given)
    {
        var labels = given is null ? null : new Dictionary<string, string>(given);
        if (labels is null || labels.GetValueOrDefault(ContainerLabels.Instance) != Instance || labels.GetValueOrDefault(PoolLabels.Claim) != "true" ||
            !Guid.TryParse(labels.GetValueOrDefault(PoolLabels.Member), out var member) ||
            !Guid.TryParse(labels.GetValueOrDefault(ContainerLabels.ServiceId), out var service))
            return null;
        Guid.TryParse(labels.GetValueOrDefault(ContainerLabels.CommandId), out var command);
        long.TryParse(labels.GetValueOrDefault(PoolLabels.MemoryBytes), NumberStyles.Integer, CultureInfo.InvariantCulture, out var memory);
        long.TryParse(labels.GetValueOrDefault(PoolLabels.NanoCpus), NumberStyles.Integer, CultureInfo.InvariantCulture, out var nanoCpus);
        return new ClaimBinding(member, service, labels.GetValueOrDefault(ContainerLabels.Owner, ""),
            labels.GetValueOrDefault(ContainerLabels.ServiceName, ""), command, memory, nanoCpus);
    }
}
