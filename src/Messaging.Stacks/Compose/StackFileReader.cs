using Messaging.Stacks.Yaml;
using Messaging.Validation;

namespace Messaging.Stacks.Compose;

/// <summary>The top level of a stack file, and the rules between members (one public entry, dependencies).</summary>
internal static class StackFileReader
{
    public static StackDefinition? Read(YamlNode root, ProblemList problems)
    {
        if (root is not YamlMapping file)
        {
            problems.Add("", "A stack file is a mapping with a 'services' key.");
            return null;
        }
        foreach (var (key, _) in file.Entries)
        {
            // version is obsolete in Compose and ignored; x-* keys are Compose's extensions, the usual home of anchors.
            if (key is not ("services" or "version") && !key.StartsWith("x-", StringComparison.Ordinal))
                problems.Add(key, RefusedKeys.ForTopLevel(key));
        }
        if (file["version"] is { } version && version is not YamlScalar)
            problems.Add("version", "must be text (it is ignored).");
        if (file["services"] is not YamlMapping services || services.Entries.Count == 0)
        {
            problems.Add("services", "must be a mapping of at least one service.");
            return null;
        }
        if (services.Entries.Count > ComposeSubset.MaxMembers)
        {
            problems.Add("services", $"may hold at most {ComposeSubset.MaxMembers} services.");
            return null;
        }

        var members = new List<StackMember>();
        foreach (var (name, node) in services.Entries)
        {
            var path = ProblemList.Join("services", name);
            if (!ServiceRules.ServiceNamePattern().IsMatch(name))
                problems.Add(path, "a service name must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit.");
            else if (MemberReader.Read(name, node, path, problems) is { } member)
                members.Add(member);
        }
        if (problems.Count > 0)
            return null;

        CheckOnePublicEntry(members, problems);
        CheckDependencies(members, problems);
        return problems.Count == 0 ? new StackDefinition(members) : null;
    }

    private static void CheckOnePublicEntry(List<StackMember> members, ProblemList problems)
    {
        foreach (var extra in members.Where(m => m.IsPublic).Skip(1))
            problems.Add($"services.{extra.Name}.ports", "only one member of a stack may publish a port (the stack's public entry).");
    }

    private static void CheckDependencies(List<StackMember> members, ProblemList problems)
    {
        var byName = members.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var dependency in member.DependsOn)
            {
                var path = $"services.{member.Name}.depends_on.{dependency.Service}";
                if (dependency.Service == member.Name)
                    problems.Add(path, "a service cannot depend on itself.");
                else if (!byName.TryGetValue(dependency.Service, out var target))
                    problems.Add(path, "names no service of this stack.");
                else if (dependency.WaitForHealthy && target.HealthCheck is null)
                    problems.Add(path, $"condition service_healthy needs a healthcheck on '{target.Name}'.");
            }
        }
        if (problems.Count == 0 && FindCycle(members, byName) is { } cycle)
            problems.Add($"services.{cycle[0]}.depends_on", $"depends_on forms a cycle: {string.Join(" -> ", cycle)}.");
    }

    /// <summary>A dependency cycle as the names along it (first repeated at the end), or null.</summary>
    private static List<string>? FindCycle(List<StackMember> members, Dictionary<string, StackMember> byName)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in members)
        {
            // Iterative depth-first search: at most MaxMembers deep, but no recursion on input anyway.
            var onPath = new List<string>();
            var stack = new Stack<(string Name, int Next)>();
            stack.Push((start.Name, 0));
            onPath.Add(start.Name);
            while (stack.Count > 0)
            {
                var (name, next) = stack.Pop();
                var dependsOn = byName[name].DependsOn;
                if (next >= dependsOn.Count || done.Contains(name))
                {
                    done.Add(name);
                    onPath.RemoveAt(onPath.Count - 1);
                    continue;
                }
                stack.Push((name, next + 1));
                var target = dependsOn[next].Service;
                if (onPath.Contains(target))
                    return [.. onPath.SkipWhile(n => n != target), target];
                if (!done.Contains(target))
                {
                    stack.Push((target, 0));
                    onPath.Add(target);
                }
            }
        }
        return null;
    }
}
