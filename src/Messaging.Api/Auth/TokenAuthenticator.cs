using Messaging.State.Tokens;

namespace Messaging.Api.Auth;

public sealed record TokenIdentity(string Id, IReadOnlyList<string> Scopes, Quota Quota);

/// <summary>
/// Who is behind a presented token: the bootstrap admin (its hash held in memory, so it works even
/// before any token exists; see <see cref="BootstrapToken"/> for rotation), or a token in Redis that is
/// neither revoked nor expired.
/// </summary>
public sealed class TokenAuthenticator(BootstrapToken bootstrap, TokenStore tokens)
{
    public const string BootstrapTokenId = "admin";

    public async Task<TokenIdentity?> FindAsync(string presented)
    {
        if (bootstrap.Matches(TokenStore.Hash(presented)))
            return new TokenIdentity(BootstrapTokenId, [Scopes.Admin], Quota.Unlimited);
        var record = await tokens.AuthenticateAsync(presented);
        return record is null ? null : new TokenIdentity(record.Id, record.Scopes, record.Quota);
    }
}
