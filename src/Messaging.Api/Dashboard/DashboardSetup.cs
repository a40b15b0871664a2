using Microsoft.AspNetCore.StaticFiles;

namespace Messaging.Api.Dashboard;

/// <summary>
/// The web dashboard: static files of <c>wwwroot</c> served at <c>/</c> by the API host. They hold no data and need no
/// token; the page calls the same <c>/api/v1</c> as any client, with the token the user typed (kept in the tab's
/// sessionStorage), so the dashboard can do nothing its token could not do with curl (docs/ARCHITECTURE.md, "The dashboard").
/// </summary>
public static class DashboardSetup
{
    /// <summary>
    /// Only this origin's own scripts and styles, no inline script, no framing: an injected string in a service's
    /// name or log line cannot run as script, and no other site can frame the page to click its buttons.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseDashboard(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                // A new release's files are picked up at the next load: the files are small and revalidated.
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }
}
