using System.Reflection;

namespace Messaging.Testing;

/// <summary>
/// Keeps the <c>Requires</c> traits true: finds the test classes that use a live service (through a
/// fixture, a harness field or a constructor parameter of a given type) but do not say so with
/// <c>[Trait("Requires", "...")]</c>, so that <c>--filter Requires!=X</c> never runs a test that needs X.
/// Read through reflection data only, so this library needs no xunit reference.
/// </summary>
public static class Requirements
{
    public const string Redis = "Redis";
    public const string RabbitMq = "RabbitMq";
    public const string Docker = "Docker";

    /// <summary>
    /// The classes of <paramref name="assembly"/> with a test method that touch <paramref name="harness"/> (a
    /// constructor parameter, a field, or a class fixture of that type or a subtype) and lack
    /// <c>[Trait("Requires", requirement)]</c> for one of <paramref name="requirements"/>.
    /// </summary>
    public static IReadOnlyList<string> Missing(Assembly assembly, Type harness, params string[] requirements) =>
        [.. assembly.GetTypes()
            .Where(type => type.IsClass && !type.IsAbstract && HasTests(type) && Uses(type, harness))
            .SelectMany(type => requirements.Where(requirement => !Declares(type, requirement))
                .Select(requirement => $"{type.FullName} lacks [Trait(\"Requires\", \"{requirement}\")]"))
            .Order()];

    private static bool HasTests(Type type) =>
        type.GetMethods().Any(method => method.CustomAttributes.Any(a => a.AttributeType.FullName is "Xunit.FactAttribute" || IsFact(a.AttributeType)));

    private static bool IsFact(Type attribute) =>
        attribute.BaseType is { } parent && (parent.FullName == "Xunit.FactAttribute" || IsFact(parent));

    private static bool Uses(Type type, Type harness) =>
        type.GetConstructors().SelectMany(c => c.GetParameters()).Any(p => harness.IsAssignableFrom(p.ParameterType)) ||
        type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public).Any(f => harness.IsAssignableFrom(f.FieldType)) ||
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition().FullName == "Xunit.IClassFixture`1"
                                      && harness.IsAssignableFrom(i.GetGenericArguments()[0]));

    private static bool Declares(Type type, string requirement) =>
        type.CustomAttributes.Any(a => a.AttributeType.FullName == "Xunit.TraitAttribute"
                                       && a.ConstructorArguments is [{ Value: "Requires" }, { Value: string value }] && value == requirement);
}
