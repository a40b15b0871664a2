namespace Messaging.Api.Services;

/// <summary>Section <c>Publishing</c>.</summary>
public sealed class PublishOptions
{
    public const string Section = "Publishing";

    /// <summary>How long to wait for the broker to confirm a command before answering 503.</summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a worker to answer a log request before answering 504.</summary>
    public TimeSpan LogsTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for a worker to answer a stats request (the engine itself takes about a second) before answering 504.</summary>
    public TimeSpan StatsTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
