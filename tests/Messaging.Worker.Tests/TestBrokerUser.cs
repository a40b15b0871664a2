using MassTransit;
using Messaging.Worker.Identity;

namespace Messaging.Worker.Tests;

/// <summary>
/// The in-memory harness has no AMQP properties: here the broker user travels in a header that only
/// tests set (<see cref="WorkerHarness.PublishAs"/>). Absent, the message counts as the API's; an empty
/// value stands for a delivery without <c>user_id</c>.
/// </summary>
public sealed class TestBrokerUser : IBrokerUserSource
{
    public const string Header = "Test-Broker-User";
    public const string Api = "api";

    public string? UserOf(ConsumeContext context) =>
        context.Headers.TryGetHeader(Header, out var user) ? user as string : Api;
}
