using Messaging.Cli.Api;

namespace Messaging.Cli.Output;

/// <summary>Problem details on stderr: <c>error: title: detail</c>, then one line per validation message.</summary>
internal static class ProblemPrinter
{
    public static void Write(TextWriter error, ProblemDetails problem)
    {
        var title = problem.Title ?? $"HTTP {problem.Status}";
        error.WriteLine(string.IsNullOrEmpty(problem.Detail) ? $"error: {title}" : $"error: {title}: {problem.Detail}");
        // The API's messages already start with the field name ("service_name must be ...").
        foreach (var (_, messages) in problem.Errors ?? new Dictionary<string, string[]>())
            foreach (var message in messages)
                error.WriteLine($"  {message}");
    }
}
