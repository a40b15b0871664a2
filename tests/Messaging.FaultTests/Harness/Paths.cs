namespace Messaging.FaultTests.Harness;

/// <summary>Where things are: the worker copied next to the tests, the results folder, the solution.</summary>
internal static class Paths
{
    /// <summary>The folder holding Messaging.Worker.dll, its runtimeconfig/deps and its appsettings.json.</summary>
    public static string WorkerDirectory
    {
        get
        {
            var here = AppContext.BaseDirectory;
            if (File.Exists(Path.Combine(here, "Messaging.Worker.dll")) && File.Exists(Path.Combine(here, "Messaging.Worker.runtimeconfig.json"))
                && File.ReadAllText(Path.Combine(here, "appsettings.json")).Contains("\"Docker\"", StringComparison.Ordinal))
                return here;
            throw new InvalidOperationException($"Messaging.Worker.dll with its appsettings.json was not copied to {here}.");
        }
    }

    public static string SolutionDirectory => Messaging.Testing.TestPaths.SolutionDirectory;

    /// <summary>
    /// Tables and logs of the fault tests: <c>$FAULT_TESTS_RESULTS</c>, or tests/Messaging.FaultTests/TestResults.
    /// Worker and redis logs go to a subfolder per scenario.
    /// </summary>
    public static string Results
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("FAULT_TESTS_RESULTS");
            var path = !string.IsNullOrWhiteSpace(configured)
                ? configured
                : Path.Combine(SolutionDirectory, "tests", "Messaging.FaultTests", "TestResults");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>Pid files of the children, so that a run that crashed can be cleaned up by the next one.</summary>
    public static string PidDirectory
    {
        get
        {
            var path = Path.Combine(Path.GetTempPath(), "messaging-fault-tests", "pids");
            Directory.CreateDirectory(path);
            return path;
        }
    }
}
