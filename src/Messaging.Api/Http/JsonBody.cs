using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Messaging.Api.Http;

/// <summary>
/// Reads a JSON body with the API's strict options and turns every way it can be wrong into a precise
/// problem: wrong content type (415), too large (413), malformed or unknown fields (400).
/// Done by hand rather than by the framework's body binding, whose failures carry no explanation;
/// handlers get the result through <see cref="Validated{T}"/>.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType())
            return (null, Problems.UnsupportedMediaType());

        if (request.ContentLength > ApiSetup.MaxBodyBytes)
            return (null, TooLarge());

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        try
        {
            // Buffer at most the limit (+1 byte to notice more): chunked bodies have no Content-Length.
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > ApiSetup.MaxBodyBytes)
                    return (null, TooLarge());
                buffer.Write(chunk, 0, read);
            }
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options);
            return value is null
                ? (null, Problems.InvalidBody("The body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.InvalidBody(Explain(e)));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
    }

    private static ProblemHttpResult TooLarge() => Problems.BodyTooLarge(ApiSetup.MaxBodyBytes);

    private static string Explain(JsonException e)
    {
        var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "the body" : e.Path;
        if (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
            return $"Unknown field {path}: only the documented fields are accepted.";
        if (e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
            return $"Duplicate field {path}.";
        return $"Malformed JSON at {path}.";
    }
}
