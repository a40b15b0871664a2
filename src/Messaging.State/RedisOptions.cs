using System.ComponentModel.DataAnnotations;

namespace Messaging.State;

/// <summary>Where service state lives. Section <c>Redis</c>.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>StackExchange.Redis configuration string.</summary>
    [Required]
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>Prefix of every key, so several installations (or test runs) can share one Redis.</summary>
    [Required, RegularExpression(@"^[A-Za-z0-9:_-]{1,64}$")]
    public string KeyPrefix { get; set; } = "messaging:";
}
