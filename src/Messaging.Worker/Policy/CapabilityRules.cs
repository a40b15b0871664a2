using System.Text.RegularExpressions;

namespace Messaging.Worker.Policy;

/// <summary>
/// Which Linux capabilities a service container may get back after dropping ALL: an allowlist, not a denylist.
/// NET_BIND_SERVICE is the default. Anything else needs the operator's opt-in in one place,
/// <see cref="ImagePolicyOptions.AllowedCapabilities"/>, and even there only from <see cref="OptIn"/>.
/// </summary>
public static partial class CapabilityRules
{
    /// <summary>What an entry gets when it lists no capabilities, and the only one it may list without an opt-in.</summary>
    public const string NetBindService = "NET_BIND_SERVICE";

    /// <summary>The capabilities of an entry that lists none.</summary>
    public static IReadOnlyList<string> Default { get; } = [NetBindService];

    /// <summary>
    /// The only capabilities an operator can opt into: Docker's default set, less MKNOD (device nodes), NET_RAW
    /// (spoofed packets on the services network) and SETPCAP (rewrites the capability sets themselves). Nothing
    /// outside Docker's default set (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...) is ever granted.
    /// </summary>
    public static IReadOnlySet<string> OptIn { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETFCAP", "SETGID", "SETUID", "SYS_CHROOT",
    };

    /// <summary>Whether <paramref name="name"/> is spelled as a capability (upper case, optional <c>CAP_</c>).</summary>
    public static bool IsWellFormed(string name) => Name().IsMatch(name);

    /// <summary>The name without Docker's optional <c>CAP_</c> prefix, so one capability is compared as one name.</summary>
    public static string Normalize(string name) => name.StartsWith("CAP_", StringComparison.Ordinal) ? name[4..] : name;

    [GeneratedRegex(@"^[A-Z_]{2,32}\z")]
    private static partial Regex Name();
}
