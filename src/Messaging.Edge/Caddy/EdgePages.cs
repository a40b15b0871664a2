using System.Net;

namespace Messaging.Edge.Caddy;

/// <summary>The pages the edge answers itself: a service that exists but is not served now, and an unknown hostname.</summary>
internal static class EdgePages
{
    public static string Unavailable(string serviceName) => Page("503 Service unavailable",
        $"The service <strong>{WebUtility.HtmlEncode(serviceName)}</strong> is not running right now (stopped, starting or unhealthy). Try again later.");

    public static string NotFound() => Page("404 Not found", "No service is published at this address.");

    private static string Page(string title, string body) =>
        $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>\n";
}
