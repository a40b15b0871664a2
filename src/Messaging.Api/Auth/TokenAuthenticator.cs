using System.Security.Cryptography;
using Messaging.State.Tokens;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Auth;

public sealed record TokenIdentity(string Id, IReadOnlyList<string> Scopes, Quota Quota);

/// <summary>
/// Who is behind a presented token: the bootstrap admin (its hash held in memory, so it works even
/// before any token exists), or a token in Redis that is neither revoked nor expired.
/// </summary>
public sealed class TokenAuthenticator(IOptions<AuthOptions> options, TokenStore tokens)
{
    public const string BootstrapTokenId = "admin";

    private readonly byte[]? _bootstrapHash = options.Value.ResolveBootstrapToken() is { } token ? TokenStore.Hash(token) : null;

    public async Task<TokenIdentity?> FindAsync(string presented)
    {
        if (_bootstrapHash is not null && CryptographicOperations.FixedTimeEquals(_bootstrapHash, TokenStore.Hash(presented)))
            return new TokenIdentity(BootstrapTokenId, [Scopes.Admin], Quota.Unlimited);
        var record = await tokens.AuthenticateAsync(presented);
        return record is null ? null : new TokenIdentity(record.Id, record.Scopes, record.Quota);
    }
}
