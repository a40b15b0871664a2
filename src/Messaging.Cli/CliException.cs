namespace Messaging.Cli;

/// <summary>Exit codes: what scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The API refused, the service failed, a wait timed out, or the API could not be reached.</summary>
    public const int Failure = 1;
    /// <summary>The command line itself is wrong (the convention System.CommandLine and most Unix tools follow).</summary>
    public const int Usage = 2;
}

/// <summary>An error that ends the command with a one-line message on stderr and the given exit code.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
