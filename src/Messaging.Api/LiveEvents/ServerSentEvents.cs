using Microsoft.AspNetCore.Http.Features;

namespace Messaging.Api.LiveEvents;

/// <summary>
/// What every Server-Sent Events stream of the API does alike (<c>/events</c>, <c>/builds/{id}/logs</c>): the headers that
/// keep proxies from buffering, a flush after every write, and the check that the token which opened a long stream
/// still authenticates as the same identity.
/// </summary>
public static class ServerSentEvents
{
    /// <summary>Sends the stream's headers (with unbuffered body) and <paramref name="greeting"/>.</summary>
    public static Task BeginAsync(HttpContext http, string greeting, CancellationToken cancel)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return WriteAsync(http, greeting, cancel);
    }

    public static async Task WriteAsync(HttpContext http, string text, CancellationToken cancel)
    {
        await http.Response.WriteAsync(text, cancel);
        await http.Response.Body.FlushAsync(cancel);
    }

    /// <summary>The bearer token the request presented.</summary>
    public static string PresentedToken(HttpContext http)
    {
        string header = http.Request.Headers.Authorization.ToString();
        return header.Length > "Bearer ".Length ? header["Bearer ".Length..].Trim() : "";
    }

    /// <summary>Whether the token that opened the stream still authenticates, as the same identity (not revoked, not expired).</summary>
    public static async Task<bool> StillValidAsync(TokenAuthenticator tokens, string presented, ClaimsPrincipal user) =>
        await tokens.FindAsync(presented) is { } identity && identity.Id == user.Id();

    /// <summary>The 429 of a caller (or a server) at its cap of open streams.</summary>
    public static Task RefuseAsync(HttpContext http, string refusal)
    {
        http.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many live streams", detail: refusal)
            .ExecuteAsync(http);
    }
}
