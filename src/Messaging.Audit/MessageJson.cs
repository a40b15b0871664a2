using System.Text.Json;

namespace Messaging.Audit;

/// <summary>
/// How message bodies are written outside the bus (audit trail, webhooks, live events): snake_case, as the
/// REST API writes everything, whatever casing the envelope used.
/// </summary>
public static class MessageJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null, // env keys are the user's, verbatim
    };

    public static string Serialize(object message) => JsonSerializer.Serialize(message, message.GetType(), Options);
}
