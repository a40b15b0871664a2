using System.Reflection;
using System.Text.Json.Nodes;
using Messaging.Api.Services;
using Messaging.Api.Stacks;
using Messaging.Api.Tokens;
using Messaging.Api.Webhooks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Scalar.AspNetCore;

namespace Messaging.Api.Reference;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and the reference UI on it (Scalar, <c>/docs</c>): an introduction
/// (<c>Introduction.md</c>: what the system is, authentication, errors, idempotency) and example bodies, and a UI that
/// stays inside the product: served from the API's own assets, with no calls or links out (no CDN fonts, no
/// telemetry, no AI agent, no developer toolbar with its deploy and SDK links, no link to the vendor's site).
/// </summary>
public static class ApiReference
{
    public const string Title = "Messaging API";

    public static IServiceCollection AddApiReference(this IServiceCollection services) =>
        services.AddOpenApi(openApi =>
        {
            openApi.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = Title;
                document.Info.Description = Introduction.Value;
                return Task.CompletedTask;
            });
            openApi.AddSchemaTransformer((schema, context, _) =>
            {
                if (ApiExamples.For(context.JsonTypeInfo.Type) is { } example)
                    schema.Examples = [example];
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi(); // /openapi/v1.json
        app.MapScalarApiReference("/docs", Configure);
        return app;
    }

    /// <summary>What the reference UI shows and may do; <c>OpenApiTests</c> reads the served page for it.</summary>
    public static void Configure(ScalarOptions options)
    {
        options.Title = Title;
        options.DefaultFonts = false; // Inter and JetBrains Mono would come from a CDN
        options.Telemetry = false;
        options.Agent = new ScalarAgentOptions { Disabled = true }; // "Ask AI"
        options.Mcp = new ScalarMcpOptions { Disabled = true };
        options.ShowDeveloperTools = DeveloperToolsVisibility.Never; // its toolbar links to Scalar's deploy and SDK pages
        options.HideClientButton = true; // opens Scalar's hosted client
        // What no option turns off: the sidebar's "Powered by Scalar" and any other link to the vendor's site.
        options.CustomCss = """a[href*="scalar.com"] { display: none !important; }""";
    }

    private static readonly Lazy<string> Introduction = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Messaging.Api.Reference.Introduction.md")
            ?? throw new InvalidOperationException("The API introduction (Reference/Introduction.md) is not embedded.");
        return new StreamReader(stream).ReadToEnd();
    });
}

/// <summary>Example bodies of the main requests and answers, shown by the reference next to their schemas.</summary>
internal static class ApiExamples
{
    public static JsonNode? For(Type type) =>
        type == typeof(CreateServiceRequest) ? JsonNode.Parse("""
            {"service_name": "my-nginx", "image": "nginx:alpine", "memory_limit": "128m", "cpu_limit": 0.5,
             "internal_port": 80, "env": {"GREETING": "hello"}}
            """)
        : type == typeof(ServiceAccepted) ? JsonNode.Parse("""
            {"service_id": "5a0c2f4e-8d1b-4c3a-9e7f-1b2c3d4e5f60", "service_name": "my-nginx", "status": "pending"}
            """)
        : type == typeof(ServiceView) ? JsonNode.Parse("""
            {"service_id": "5a0c2f4e-8d1b-4c3a-9e7f-1b2c3d4e5f60", "service_name": "my-nginx", "image": "nginx:alpine",
             "owner": "admin", "status": "running", "memory_limit": "128m", "cpu_limit": 0.5, "internal_port": 80,
             "host": "127.0.0.1", "host_port": 14257, "container_id": "3f9a6c1d2e4b", "failure": null,
             "health": "none", "restart_count": 0, "created_at": "2026-01-05T10:00:00+00:00", "updated_at": "2026-01-05T10:00:01+00:00"}
            """)
        : type == typeof(CreateTokenRequest) ? JsonNode.Parse("""
            {"name": "ci", "scopes": ["services:read", "services:write"], "max_services": 3, "max_memory": "1g", "max_cpus": 2}
            """)
        : type == typeof(CreateWebhookRequest) ? JsonNode.Parse("""
            {"url": "https://hooks.example.com/messaging", "event_types": ["ServiceCreated", "ServiceCreationFailed"]}
            """)
        : type == typeof(CreateStackRequest) ? JsonNode.Parse("""
            {"name": "shop", "compose_file": "services:\n  web:\n    image: nginx:alpine\n    deploy: {resources: {limits: {memory: 128m}}}\n    ports: [\"80\"]\n"}
            """)
        : type == typeof(HttpValidationProblemDetails) ? JsonNode.Parse("""
            {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "One or more validation errors occurred.", "status": 400,
             "errors": {"memory_limit": ["memory_limit must be a whole number with an optional unit b, k, m or g (e.g. 128m), between 6m and 1024g."]}, "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
            """)
        : type == typeof(ProblemDetails) ? JsonNode.Parse("""
            {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.5", "title": "Not found", "status": 404,
             "detail": "No service 5a0c2f4e-8d1b-4c3a-9e7f-1b2c3d4e5f60.", "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
            """)
        : null;
}
