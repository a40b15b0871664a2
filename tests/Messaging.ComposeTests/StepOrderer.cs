using Xunit.Abstractions;
using Xunit.Sdk;

namespace Messaging.ComposeTests;

/// <summary>A fact that is one step of a journey: the class's steps run in the order of their numbers.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : FactAttribute
{
    public int Order { get; } = order;
}

/// <summary>
/// Runs the <see cref="StepAttribute"/> facts of a class in their order (xunit's default order is stable but
/// arbitrary). A journey's state lives in a class fixture; a step whose predecessor failed fails saying so.
/// </summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "Messaging.ComposeTests.StepOrderer";
    public const string AssemblyName = "Messaging.ComposeTests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(testCase => testCase.TestMethod.Method
            .GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName)
            .Select(step => (int)step.GetConstructorArguments().Single())
            .DefaultIfEmpty(int.MaxValue)
            .Single());
}
