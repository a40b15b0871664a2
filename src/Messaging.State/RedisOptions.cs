using System.ComponentModel.DataAnnotations;

namespace Messaging.State;

/// <summary>Where service state lives. Section <c>Redis</c>.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string.</summary>
    [Required]
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>ACL user to log in as, replacing any <c>user=</c> in <see cref="Configuration"/>: each process has its own (infra/redis/acl-users.sh).</summary>
    public string? User { get; set; }

    /// <summary>Password of <see cref="User"/>, replacing any <c>password=</c> in <see cref="Configuration"/>.</summary>
    public string? Password { get; set; }

    /// <summary>A file holding the password (a compose secret); when set, its first line replaces <see cref="Password"/>.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Prefix of every key, so several installations (or test runs) can share one Redis.</summary>
    [Required, RegularExpression(@"^[A-Za-z0-9:_-]{1,64}$")]
    public string KeyPrefix { get; set; } = "messaging:";
}
