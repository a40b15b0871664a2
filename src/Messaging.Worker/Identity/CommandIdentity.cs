using MassTransit;
using Messaging.ServiceDefaults.Bus;
using Messaging.State;
using Microsoft.Extensions.Options;

namespace Messaging.Worker.Identity;

/// <summary>
/// Whom a command acts for. <see cref="BrokerUser"/> is the authenticated publisher; <see cref="Owner"/> the
/// owner it acts for: a token's owner named by the API, or <c>system:&lt;user&gt;</c> for any other publisher.
/// </summary>
public sealed record VerifiedPublisher(string BrokerUser, bool IsApi, string Owner)
{
    /// <summary>
    /// The API checks a token's right to a service (its own, or any for admin) before it publishes, so its
    /// commands may act on any service; a system acts only on the services it created.
    /// </summary>
    public bool MayActOn(ServiceRecord record) => IsApi || record.Owner == Owner;
}

/// <summary>
/// Identity is verified, never asserted (docs/CONTRACTS.md, "Who a command acts for"): the owner comes
/// from the publisher's broker user, not from the message's <c>requestedBy</c>, which only the API may set.
/// </summary>
public sealed class CommandIdentity(IBrokerUserSource brokerUsers, IOptions<IdentityOptions> identity, IOptions<RabbitMqOptions> broker)
{
    /// <summary>The owner namespace of the services other systems create through the broker.</summary>
    public const string SystemPrefix = "system:";

    private readonly string _apiUser = string.IsNullOrEmpty(identity.Value.ApiBrokerUser) ? broker.Value.User : identity.Value.ApiBrokerUser;

    /// <summary>
    /// The publisher of <paramref name="context"/>'s message, or null when it cannot act for anyone: no
    /// <c>user_id</c>, or an API command naming an owner in the systems' namespace.
    /// </summary>
    public VerifiedPublisher? Resolve(ConsumeContext context, string? requestedBy)
    {
        var user = brokerUsers.UserOf(context);
        if (string.IsNullOrEmpty(user))
            return null;
        if (user != _apiUser)
            return new VerifiedPublisher(user, IsApi: false, SystemPrefix + user);
        if (requestedBy is not null && requestedBy.StartsWith(SystemPrefix, StringComparison.Ordinal))
            return null;
        return new VerifiedPublisher(user, IsApi: true, requestedBy ?? "");
    }

    /// <summary>Why <see cref="Resolve"/> said no, for the refusal's message.</summary>
    public const string Unverified =
        "The publisher is not verified: set the AMQP user_id property to the broker user you connect as.";
}
