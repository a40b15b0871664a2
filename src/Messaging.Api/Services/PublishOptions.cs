namespace Messaging.Api.Services;

/// <summary>Section <c>Publishing</c>.</summary>
public sealed class PublishOptions
{
    public const string Section = "Publishing";

    /// <summary>How long to wait for the broker to confirm a command before answering 503.</summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times a create command whose confirm did not come is published again, the same command (same command id,
    /// which the worker carries out once), before the API answers "Outcome unknown". Each waits <see cref="ConfirmTimeout"/>.
    /// A channel held up for a few seconds (a freshly started API under load, during an upgrade) then still ends in 202.
    /// </summary>
    public int UnconfirmedRepublishes { get; set; } = 2;

    /// <summary>How long to wait for a worker to answer a log request before answering 504.</summary>
    public TimeSpan LogsTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for a worker to answer a stats request (the engine itself takes about a second) before answering 504.</summary>
    public TimeSpan StatsTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for a worker to answer <c>GET /nodes</c> (it lists nodes, tasks and our services) before answering 504.</summary>
    public TimeSpan NodesTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
