namespace Messaging.Worker.Identity;

/// <summary>Section <c>Identity</c>: which broker user speaks for the API.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>
    /// The RabbitMQ user the API connects as: the only publisher whose <c>requestedBy</c> may name a token's
    /// owner. Empty: the worker's own <c>RabbitMq:User</c> (every process on one broker user, as in development).
    /// </summary>
    public string ApiBrokerUser { get; set; } = "";
}
