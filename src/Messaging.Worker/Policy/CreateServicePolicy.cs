using FluentValidation;
using Messaging.Contracts;
using Messaging.Validation;
using Messaging.Validation.Hostnames;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Policy;

/// <summary>
/// A command that passed every rule, with everything the worker needs to run it. <see cref="Command"/> carries the
/// limits it runs with (the entry's defaults filled in where the publisher named none).
/// </summary>
public sealed record ApprovedService(
    CreateService Command, AllowedImage Entry, string Image, long MemoryBytes, double CpuLimit, int InternalPort);

/// <summary>Why a command was refused: a reason code from <see cref="FailureReasons"/> and a message.</summary>
public sealed record Refusal(string Reason, string Message);

/// <summary>
/// The worker's own judgement of a <see cref="CreateService"/>: the same syntax rules as the API, then
/// the allowlist and the caps. Commands may come straight from the broker, so nothing is assumed.
/// </summary>
public sealed class CreateServicePolicy(
    IOptions<ImagePolicyOptions> options, IValidator<CreateService> validator, IOptions<Supervision.SupervisorOptions>? supervisor = null, IOptions<HostnameOptions>? hostnames = null,
    Builds.BuiltImages? builtImages = null)
{
    private readonly int _maxRestartsCap = supervisor?.Value.MaxRestartsCap ?? new Supervision.SupervisorOptions().MaxRestartsCap;
    private readonly ImagePolicyOptions _policy = options.Value;
    private readonly (ImageReference Reference, AllowedImage Entry)[] _allowed = options.Value.AllowedImages
        .Select(e => ImageReference.TryParse(e.Image, out var r) ? (r, e) : default)
        .Where(pair => pair.r is not null)
        .Select(pair => (pair.r!, pair.e))
        .ToArray();

    public (ApprovedService? Approved, Refusal? Refusal) Evaluate(CreateService command)
    {
        var result = validator.Validate(command);
        if (!result.IsValid)
        {
            var message = string.Join(" ", result.Errors.Select(e => $"{e.PropertyName} {e.ErrorMessage}"));
            return (null, new Refusal(FailureReasons.InvalidCommand, message));
        }

        ImageReference.TryParse(command.Image, out var requested);
        var match = Match(requested!);
        if (match.Entry is null)
            return (null, new Refusal(FailureReasons.ImageNotAllowed, $"Image '{command.Image}' is not on the allowlist."));
        // Running the entry's tag instead would create something other than what the record reports.
        if (requested!.Digest is not null && match.Reference.Digest is null)
            return (null, new Refusal(FailureReasons.ImageNotAllowed,
                $"Image '{command.Image}' pins a digest, but the allowlist entry '{match.Entry.Image}' pins none: ask without the digest, or ask the operator to pin it in the entry."));

        // Absent limits become the entry's defaults here, in the worker, because other systems publish CreateService
        // directly: from here on the command carries the limits it runs with, and quotas count exactly those.
        command = command with
        {
            MemoryLimit = command.MemoryLimit ?? match.Entry.DefaultMemory ?? _policy.DefaultMemory,
            CpuLimit = command.CpuLimit ?? match.Entry.DefaultCpus ?? _policy.DefaultCpus,
        };
        MemorySize.TryParseLimit(command.MemoryLimit, out var memoryBytes);
        var memoryCap = _policy.MemoryCapOf(match.Entry);
        if (memoryBytes > memoryCap)
            return (null, new Refusal(FailureReasons.LimitExceeded,
                $"Memory limit {command.MemoryLimit} is above the cap of {MemorySize.Format(memoryCap)} for {command.Image}."));

        var cpus = command.CpuLimit.Value;
        var cpuCap = _policy.CpuCapOf(match.Entry);
        if (cpus > cpuCap)
            return (null, new Refusal(FailureReasons.LimitExceeded,
                $"CPU limit {cpus} is above the cap of {cpuCap} for {command.Image}."));

        if (command.MaxRestarts > _maxRestartsCap)
            return (null, new Refusal(FailureReasons.LimitExceeded,
                $"MaxRestarts {command.MaxRestarts} is above the cap of {_maxRestartsCap} (Supervisor:MaxRestartsCap)."));
        if (HostnamePolicy.Check(command.Hostnames, command.ServiceName, hostnames?.Value ?? new HostnameOptions()) is { } hostnameRefusal)
            return (null, new Refusal(hostnameRefusal.Reason, hostnameRefusal.Message));

        // A pinned digest wins over whatever the requester wrote: the operator decided which bytes run.
        var image = match.Reference.Digest is not null ? match.Reference.Canonical : match.Entry.Image;
        return (new ApprovedService(command, match.Entry, image, memoryBytes, cpus, command.InternalPort ?? match.Entry.InternalPort), null);
    }

    /// <summary>The allowlist entry an existing service's image came through (its supervision defaults), or null.</summary>
    public AllowedImage? EntryFor(string image) =>
        ImageReference.TryParse(image, out var reference) ? Match(reference).Entry : null;

    // The operator's allowlist first; then images built from a configured context, under that context's run entry
    // (whose owner the consumer checks on the engine before anything is reserved: Builds/BuiltImages.cs).
    private (ImageReference Reference, AllowedImage Entry) Match(ImageReference requested)
    {
        var listed = _allowed.FirstOrDefault(a =>
            a.Reference.CanonicalWithoutDigest == requested.CanonicalWithoutDigest &&
            (a.Reference.Digest is null || requested.Digest is null || a.Reference.Digest == requested.Digest));
        if (listed.Entry is not null || builtImages?.EntryFor(requested) is not { } built)
            return listed;
        return (requested, built);
    }
}
