using System.Security.Cryptography;
using System.Text;

namespace Messaging.Audit.Notifications;

/// <summary>
/// The signature of a delivery: <c>sha256=</c> + hex HMAC-SHA256(secret, timestamp + "." + body). The timestamp
/// (Unix seconds, header <c>X-Messaging-Timestamp</c>) is signed too, so a receiver can refuse old replays.
/// </summary>
public static class WebhookSignature
{
    public const string TimestampHeader = "X-Messaging-Timestamp";
    public const string SignatureHeader = "X-Messaging-Signature";
    public const string EventHeader = "X-Messaging-Event";
    public const string DeliveryHeader = "X-Messaging-Delivery";

    public static string Compute(string secret, string timestamp, byte[] body)
    {
        var signed = new byte[Encoding.UTF8.GetByteCount(timestamp) + 1 + body.Length];
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        return "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)).ToLowerInvariant();
    }
}
