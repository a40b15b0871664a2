using System.Diagnostics;

namespace Messaging.State;

/// <summary>Spans of the state module (the reservation), so a trace shows the Redis step between the engine calls.</summary>
public static class StateTelemetry
{
    public const string Name = "Messaging.State";

    public static readonly ActivitySource Source = new(Name);
}
