using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Auth;

public sealed record TokenIdentity(string Id, IReadOnlyList<string> Scopes);

/// <summary>
/// Finds the identity behind a presented token by its SHA-256. Only hashes are held in memory;
/// the final comparison is constant-time so timing tells nothing about how close a guess was.
/// </summary>
public sealed class TokenDirectory
{
    public const string BootstrapTokenId = "admin";
    private readonly FrozenDictionary<string, (byte[] Hash, TokenIdentity Identity)> _byHash;

    public TokenDirectory(IOptions<AuthOptions> options)
    {
        var entries = options.Value.Tokens.Select(t =>
            (Hash: Convert.FromHexString(t.Sha256), Identity: new TokenIdentity(t.Id, t.Scopes.ToArray()))).ToList();
        if (!string.IsNullOrEmpty(options.Value.BootstrapToken))
            entries.Add((Hash(options.Value.BootstrapToken), new TokenIdentity(BootstrapTokenId, [Scopes.Admin])));
        _byHash = entries.ToFrozenDictionary(e => Convert.ToHexString(e.Hash), e => e);
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public TokenIdentity? Find(string presentedToken)
    {
        var hash = Hash(presentedToken);
        return _byHash.TryGetValue(Convert.ToHexString(hash), out var entry) && CryptographicOperations.FixedTimeEquals(entry.Hash, hash)
            ? entry.Identity
            : null;
    }
}
