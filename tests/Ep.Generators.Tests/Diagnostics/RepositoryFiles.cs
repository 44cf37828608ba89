using System;
using System.IO;

namespace Ep.Generators.Tests.Diagnostics;

/// <summary>Files of the repository, found by walking up from the test binaries to the folder holding Ep.sln.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Read(params string[] relativeParts) =>
        File.ReadAllText(Path.Combine(Root, Path.Combine(relativeParts)));

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ep.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Ep.sln above {AppContext.BaseDirectory}.");
    }
}
