using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Messaging.Audit;

/// <summary>
/// How message bodies are written outside the bus (audit trail, webhooks, live events): snake_case, as the
/// REST API writes everything, whatever casing the envelope used. Environment values may be secrets (a
/// database password, an API key): the trail is read by owners, admins, SSE streams and webhook receivers,
/// so it keeps which variables were set and never their values. A stack's compose file (<c>CreateStack</c>) carries
/// its members' environment, generated secrets of a template included: the trail keeps only its size.
/// </summary>
public static class MessageJson
{
    public const string Redacted = "[redacted]";

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null, // env keys are the user's, verbatim
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RedactEnvironmentValues, RedactComposeFiles } },
    };

    public static string Serialize(object message) => JsonSerializer.Serialize(message, message.GetType(), Options);

    private static void RedactComposeFiles(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            if (property.Name != "compose_file" || property.PropertyType != typeof(string) || property.Get is not { } get)
                continue;
            property.Get = message => get(message) is string file ? $"{Redacted} {file.Length} characters" : null;
        }
    }

    private static void RedactEnvironmentValues(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            // build_args (BuildImage, issue 17) may hold secrets like env does; the worker alone knows which.
            if (property.Name is not ("env" or "build_args") || !typeof(IEnumerable<KeyValuePair<string, string>>).IsAssignableFrom(property.PropertyType)
                || property.Get is not { } get)
                continue;
            property.CustomConverter = null;
            property.Get = message => get(message) is IEnumerable<KeyValuePair<string, string>> env
                ? env.ToDictionary(variable => variable.Key, _ => Redacted, StringComparer.Ordinal)
                : null;
        }
    }
}
