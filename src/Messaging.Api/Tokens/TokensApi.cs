using FluentValidation;
using Messaging.Api.Auth;
using Messaging.Api.Http;
using Messaging.State.Tokens;
using Messaging.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Messaging.Api.Tokens;

/// <summary>Token administration (scope <c>admin</c>). The secret is in the creation answer only.</summary>
public static class TokensApi
{
    public static RouteGroupBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/tokens").WithTags("Tokens").RequireAuthorization(Scopes.Admin)
            .ProducesProblem(401).ProducesProblem(403).ProducesProblem(429).ProducesProblem(503);
        group.MapPost("/", Create).Accepts<CreateTokenRequest>("application/json").WithName("CreateToken")
            .WithSummary("Create a token; its secret is shown in this answer only.")
            .ProducesValidationProblem().ProducesProblem(413).ProducesProblem(415);
        group.MapGet("/", List).WithName("ListTokens").WithSummary("Every token, without secrets.");
        group.MapGet("/{id}", Get).WithName("GetToken").WithSummary("One token, without its secret.").ProducesProblem(404);
        group.MapDelete("/{id}", Revoke).WithName("RevokeToken").WithSummary("Revoke a token: it authenticates no more.").ProducesProblem(404);
        return group;
    }

    public static async Task<Results<Created<CreatedToken>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, IValidator<CreateTokenRequest> validator, TokenStore tokens)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateTokenRequest>(request);
        if (problem is not null)
            return problem;
        var validation = await validator.ValidateAsync(body!);
        if (!validation.IsValid)
            return ValidationProblems.From(validation);

        long? maxMemory = body!.MaxMemory is not null && MemorySize.TryParseLimit(body.MaxMemory, out var bytes) ? bytes : null;
        var (record, token) = await tokens.CreateAsync(body.Name!, [.. body.Scopes!.Distinct()], body.ExpiresAt,
            new Quota(body.MaxServices, maxMemory, body.MaxCpus));
        return TypedResults.Created($"/api/v1/tokens/{record.Id}", new CreatedToken(token, TokenView.From(record)));
    }

    public static async Task<Ok<TokenList>> List(TokenStore tokens) =>
        TypedResults.Ok(new TokenList([.. (await tokens.ListAsync()).Select(TokenView.From)]));

    public static async Task<Results<Ok<TokenView>, ProblemHttpResult>> Get(string id, TokenStore tokens) =>
        await tokens.GetAsync(id) is { } record ? TypedResults.Ok(TokenView.From(record)) : NotFound(id);

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(string id, TokenStore tokens) =>
        await tokens.RevokeAsync(id) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"No token {id}.");
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
