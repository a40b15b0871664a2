using Messaging.Cli.Api;

namespace Messaging.Cli.Output;

/// <summary>How stacks look on the terminal: one line per stack, or a stack with a line per member.</summary>
internal static class StackPrinter
{
    public static void WriteList(TextWriter output, IReadOnlyList<StackView> stacks) =>
        TableWriter.Write(output, ["NAME", "STATUS", "MEMBERS", "PUBLIC", "ID"],
            stacks.Select(s => (IReadOnlyList<string>)
                [s.Name, s.Status, $"{s.Members.Count(m => m.Status == "running")}/{s.Members.Count} running", PublicPort(s), s.StackId.ToString()]));

    public static void WriteDetails(TextWriter output, StackView stack)
    {
        output.WriteLine($"Stack {stack.Name} ({stack.StackId}): {stack.Status}");
        if (stack.Failure is { } failure)
            output.WriteLine($"failed{(failure.Member is null ? "" : $" at {failure.Member}")}: {failure.Code}: {failure.Message}");
        output.WriteLine();
        TableWriter.Write(output, ["MEMBER", "SERVICE", "STATUS", "HEALTH", "PORT"],
            stack.Members.Select(m => (IReadOnlyList<string>)
                [m.Member, m.ServiceName ?? "-", m.Status, m.Health ?? "-", m.HostPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"]));
    }

    private static string PublicPort(StackView stack) =>
        stack.Members.FirstOrDefault(m => m.Public)?.HostPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-";
}
