using System.Text.Json;
using Messaging.State.Audit;

namespace Messaging.Api.Audit;

/// <summary>An audit trail entry as the REST API and the live stream show it; <see cref="Id"/> is its position (and SSE id).</summary>
public sealed record AuditEventView(
    string Id,
    DateTimeOffset At,
    string Kind,
    string Type,
    string Actor,
    string Owner,
    Guid ServiceId,
    Guid? StackId,
    Guid? BuildId,
    Guid CommandId,
    string? CorrelationId,
    string? MessageId,
    JsonElement Message)
{
    public static AuditEventView From(AuditEntry e) => new(e.Id, e.At, e.Kind, e.Type, e.Actor, e.Owner, e.ServiceId, e.StackId, e.BuildId, e.CommandId,
        e.CorrelationId, e.MessageId, ParseMessage(e.Message));

    private static JsonElement ParseMessage(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Written by the audit host, so always JSON; should it not be, show it rather than fail the page.
            return JsonSerializer.SerializeToElement(json);
        }
    }
}

/// <summary>A page of the audit trail, oldest first; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next one.</summary>
public sealed record AuditEventPage(IReadOnlyList<AuditEventView> Items, string? NextCursor);
