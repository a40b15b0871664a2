using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Messaging.Api.Services;

/// <summary>The <c>Idempotency-Key</c> header's rules; the keys themselves live in <see cref="Messaging.State.Idempotency.IdempotencyStore"/>.</summary>
public static partial class IdempotencyKeys
{
    [GeneratedRegex(@"^[A-Za-z0-9_.:-]{1,128}\z", RegexOptions.CultureInvariant)]
    public static partial Regex KeyPattern();

    /// <summary>A retried request must carry the same body: the stored entry keeps this hash of it.</summary>
    public static string Hash(CreateServiceRequest request) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request)));
}
