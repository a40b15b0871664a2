using Messaging.Testing;

namespace Messaging.IntegrationTests;

/// <summary>Every class on the system fixture says what it needs, so that <c>--filter Requires!=Docker</c> (say) leaves it out.</summary>
public sealed class RequirementsTests
{
    [Fact]
    public void Every_test_class_on_the_system_fixture_declares_Redis_RabbitMq_and_Docker() =>
        Assert.Empty(Requirements.Missing(typeof(RequirementsTests).Assembly, typeof(SystemFixture),
            Requirements.Redis, Requirements.RabbitMq, Requirements.Docker));
}
