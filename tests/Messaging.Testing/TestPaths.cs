namespace Messaging.Testing;

/// <summary>Where the repository is, seen from the test binaries.</summary>
public static class TestPaths
{
    /// <summary>The folder of Messaging.sln above the running binaries.</summary>
    public static string SolutionDirectory { get; } = FindSolutionDirectory();

    /// <summary>A project's source folder (its appsettings.json is the content root of an in-process host).</summary>
    public static string ProjectDirectory(string project) => Path.Combine(SolutionDirectory, "src", project);

    private static string FindSolutionDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Messaging.sln not found above the test binaries.");
    }
}
