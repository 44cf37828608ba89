using System;
using System.Collections.Generic;
using System.IO;

namespace Ep.Tool.Bench;

/// <summary>How to start Ep.Bench: a program and the arguments that come before Ep.Bench's own.</summary>
/// <param name="FileName">Program to run (dotnet).</param>
/// <param name="LeadingArguments">e.g. ["/path/Ep.Bench.dll"] or ["run", "-c", "Release", "--project", "…", "--"].</param>
/// <param name="Description">For messages: where it was found.</param>
internal sealed record BenchLauncher(string FileName, IReadOnlyList<string> LeadingArguments, string Description);

/// <summary>
/// Finds Ep.Bench: <c>--bench-dll</c> when given, else <c>Ep.Bench.dll</c> next to the tool (a copied build), else the
/// repository's <c>bench/Ep.Bench</c> project above the current folder, run with <c>dotnet run -c Release</c>.
/// </summary>
internal static class BenchLocator
{
    public const string ProjectPath = "bench/Ep.Bench/Ep.Bench.csproj";

    /// <summary>The launcher, or null with <paramref name="problem"/> saying where it looked.</summary>
    public static BenchLauncher? Find(string? benchDll, string toolDirectory, string workingDirectory, out string? problem)
    {
        problem = null;
        if (!string.IsNullOrWhiteSpace(benchDll))
        {
            if (File.Exists(benchDll))
            {
                return new BenchLauncher("dotnet", [Path.GetFullPath(benchDll)], benchDll);
            }

            problem = "--bench-dll " + benchDll + " does not exist.";
            return null;
        }

        string besideTool = Path.Combine(toolDirectory, "Ep.Bench.dll");
        if (File.Exists(besideTool))
        {
            return new BenchLauncher("dotnet", [besideTool], besideTool);
        }

        for (DirectoryInfo? folder = new(workingDirectory); folder is not null; folder = folder.Parent)
        {
            string project = Path.Combine(folder.FullName, ProjectPath);
            if (File.Exists(project))
            {
                return new BenchLauncher("dotnet", ["run", "-c", "Release", "--project", project, "--"], project);
            }
        }

        problem = "Ep.Bench not found: pass --bench-dll PATH, put Ep.Bench.dll next to ep, or run from inside the Ep repository (" + ProjectPath + ").";
        return null;
    }

    /// <summary>The default search from this process.</summary>
    public static BenchLauncher? Find(string? benchDll, out string? problem) =>
        Find(benchDll, AppContext.BaseDirectory, Environment.CurrentDirectory, out problem);
}
