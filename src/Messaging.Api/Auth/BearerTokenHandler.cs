using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;token&gt;</c>; answers 401/403 as problem details.</summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenAuthenticator tokens,
    FailedAuthenticationThrottle throttle,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    private const int MaxTokenLength = 512;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
            return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Failed("The Authorization header is not a bearer token.");

        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > MaxTokenLength)
            return Failed("Malformed bearer token.");

        var identity = await tokens.FindAsync(token);
        if (identity is null)
            return Failed("Unknown, revoked or expired bearer token.");

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, identity.Id), new(ClaimTypes.Name, identity.Id) };
        claims.AddRange(identity.Scopes.Select(scope => new Claim(Scopes.ClaimType, scope)));
        claims.AddRange(QuotaClaims.For(identity.Quota));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private static readonly object Throttled = new();

    private AuthenticateResult Failed(string reason)
    {
        if (!throttle.RecordFailure(Context))
            Context.Items[Throttled] = true;
        return AuthenticateResult.Fail(reason);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(Throttled))
        {
            await RateLimiting.WriteTooManyRequests(Context, FailedAuthenticationThrottle.Window, "Too many failed authentications from this address.");
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Unauthorized(),
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Forbidden(),
        });
    }
}
