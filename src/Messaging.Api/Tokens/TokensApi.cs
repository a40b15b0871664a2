using Messaging.State.Tokens;
using Messaging.Validation;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Tokens;

/// <summary>Token administration (scope <c>admin</c>). The secret is in the creation answer only.</summary>
public static class TokensApi
{
    /// <summary>Maps <c>/tokens</c> on the <c>/api/v1</c> group; every call needs <c>admin</c>.</summary>
    public static RouteGroupBuilder MapTokensApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tokens").WithTags("Tokens").RequireAuthorization(Scopes.Admin);
        group.MapPost("/", Create).WithName("CreateToken").WithSummary("Create a token; its secret is shown in this answer only.");
        group.MapGet("/", List).WithName("ListTokens").WithSummary("Every token, without secrets.");
        group.MapGet("/{id}", Get).WithName("GetToken").WithSummary("One token, without its secret.").ProducesProblem(404);
        group.MapDelete("/{id}", Revoke).WithName("RevokeToken").WithSummary("Revoke a token: it authenticates no more.").ProducesProblem(404);
        return group;
    }

    public static async Task<Created<CreatedToken>> Create(Validated<CreateTokenRequest> request, TokenStore tokens, IOptions<DefaultQuotaOptions> defaults)
    {
        var body = request.Value;
        long? maxMemory = body.MaxMemory is not null && MemorySize.TryParseLimit(body.MaxMemory, out var bytes) ? bytes : null;
        var requested = new Quota(body.MaxServices, maxMemory, body.MaxCpus);
        var quota = body.UnlimitedQuota == true ? Quota.Unlimited : defaults.Value.Apply(requested);
        var (record, token) = await tokens.CreateAsync(body.Name!, [.. body.Scopes!.Distinct()], body.ExpiresAt, quota);
        return TypedResults.Created($"/api/v1/tokens/{record.Id}", new CreatedToken(token, TokenView.From(record)));
    }

    public static async Task<Ok<TokenList>> List(TokenStore tokens) =>
        TypedResults.Ok(new TokenList([.. (await tokens.ListAsync()).Select(TokenView.From)]));

    public static async Task<Results<Ok<TokenView>, ProblemHttpResult>> Get(string id, TokenStore tokens) =>
        await tokens.GetAsync(id) is { } record ? TypedResults.Ok(TokenView.From(record)) : Problems.TokenNotFound(id);

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(string id, TokenStore tokens) =>
        await tokens.RevokeAsync(id) ? TypedResults.NoContent() : Problems.TokenNotFound(id);
}

/// <summary>A token as shown: never its secret or hash.</summary>
public sealed record TokenView(string Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt, int? MaxServices, string? MaxMemory, double? MaxCpus)
{
    public static TokenView From(TokenRecord r) => new(r.Id, r.Name, r.Scopes, r.CreatedAt, r.ExpiresAt, r.RevokedAt, r.LastUsedAt,
        r.MaxServices, r.MaxMemoryBytes is { } m ? MemorySize.Format(m) : null, r.MaxCpus);
}

/// <summary>The answer to a creation: the only time the secret is shown.</summary>
public sealed record CreatedToken(string Token, TokenView Details);

public sealed record TokenList(IReadOnlyList<TokenView> Items);
