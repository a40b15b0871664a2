using Messaging.Testing;

namespace Messaging.Api.Tests;

/// <summary>Every class on the API application (real Redis) says so, so that <c>--filter Requires!=Redis</c> leaves it out.</summary>
public sealed class RequirementsTests
{
    [Fact]
    public void Every_test_class_on_the_API_application_declares_that_it_requires_Redis() =>
        Assert.Empty(Requirements.Missing(typeof(RequirementsTests).Assembly, typeof(ApiApplication), Requirements.Redis));
}
