using System.Collections;

namespace Messaging.Cli;

internal static class Program
{
    // An explicit class rather than top-level statements: the test project references this assembly and
    // the API's, and the API already owns the global "Program" type that WebApplicationFactory needs.
    private static Task<int> Main(string[] args)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        return CliApplication.RunAsync(args, Console.Out, Console.Error, environment);
    }
}
