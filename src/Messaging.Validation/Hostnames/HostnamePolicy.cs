using Messaging.Contracts;

namespace Messaging.Validation.Hostnames;

/// <summary>Why extra hostnames were refused: a reason code from <see cref="FailureReasons"/> and a message.</summary>
public sealed record HostnameRefusal(string Reason, string Message);

/// <summary>
/// Which extra hostnames a service may ask for, judged alike by the API (early, as a 400) and by the worker (for
/// every command, whoever published it). Syntax errors are <c>invalid_command</c>; a well-formed name the operator
/// does not allow is <c>hostname_not_allowed</c>. Whether another service holds it is the reservation's to say.
/// </summary>
public static class HostnamePolicy
{
    public const int MaxHostnames = 8;

    public static HostnameRefusal? Check(IReadOnlyList<string>? hostnames, string serviceName, HostnameOptions options)
    {
        if (hostnames is null || hostnames.Count == 0)
            return null;
        if (hostnames.Count > MaxHostnames)
            return new(FailureReasons.InvalidCommand, $"Hostnames: at most {MaxHostnames}.");
        if (hostnames.FirstOrDefault(host => !Hostname.IsValid(host)) is { } malformed)
            return new(FailureReasons.InvalidCommand, $"Hostnames: '{malformed}' is not a lower-case DNS name of two labels or more (no wildcard, no IP address, no trailing dot).");
        if (hostnames.Distinct(StringComparer.Ordinal).Count() != hostnames.Count)
            return new(FailureReasons.InvalidCommand, "Hostnames: each hostname once.");
        if (options.BaseDomain.Length == 0)
            return new(FailureReasons.HostnameNotAllowed, "Hostnames: this installation has no edge (Edge:BaseDomain is not set).");

        var baseDomain = Hostname.Normalize(options.BaseDomain);
        var own = options.ServiceHostname(serviceName)!;
        foreach (var host in hostnames)
        {
            // The base domain's names are the services' own (and the API's): one may only add names below its own.
            if (Hostname.IsUnder(host, baseDomain))
            {
                if (host != own && Hostname.IsUnder(host, own))
                    continue;
                return new(FailureReasons.HostnameNotAllowed,
                    $"Hostnames: '{host}' is under the base domain {baseDomain}, whose names belong to the services of those names; below {own} is yours.");
            }
            if (!(options.AllowedSuffixes ?? []).Any(suffix => Hostname.IsUnder(host, suffix)))
                return new(FailureReasons.HostnameNotAllowed,
                    $"Hostnames: '{host}' is not under an allowed suffix ({(options.AllowedSuffixes is { Length: > 0 } s ? string.Join(", ", s) : "none configured")}).");
        }
        return null;
    }
}
