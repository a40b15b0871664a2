using Messaging.Testing;

namespace Messaging.Worker.Tests;

/// <summary>Every class on the worker harness (real Redis) says so, so that <c>--filter Requires!=Redis</c> leaves it out.</summary>
public sealed class RequirementsTests
{
    [Fact]
    public void Every_test_class_on_the_worker_harness_declares_that_it_requires_Redis() =>
        Assert.Empty(Requirements.Missing(typeof(RequirementsTests).Assembly, typeof(WorkerHarness), Requirements.Redis));
}
