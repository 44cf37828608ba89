using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Ep.Tool.Bench;

/// <summary>How to start Ep.Bench: a program and the arguments that come before Ep.Bench's own.</summary>
/// <param name="FileName">Program to run (the dotnet host).</param>
/// <param name="LeadingArguments">e.g. ["/path/Ep.Bench.dll"] or ["run", "-c", "Release", "--project", "…", "--"].</param>
/// <param name="Description">For messages and the sweep file: where it was found.</param>
internal sealed record BenchLauncher(string FileName, IReadOnlyList<string> LeadingArguments, string Description);

/// <summary>
/// Finds Ep.Bench: <c>--bench-dll</c> when given, else the copy the tool package carries (<c>bench/Ep.Bench.dll</c> next
/// to ep), else <c>Ep.Bench.dll</c> next to ep (a copied build), else the repository's <c>bench/Ep.Bench</c> project above
/// the current folder, run with <c>dotnet run -c Release</c>, or, where dotnet has no SDK, its Release build.
/// </summary>
internal static class BenchLocator
{
    public const string ProjectPath = "bench/Ep.Bench/Ep.Bench.csproj";

    /// <summary>Where the tool package puts Ep.Bench, relative to ep.dll (tools/ep/ep.csproj, target _EpBenchInPublish).</summary>
    public const string BundledPath = "bench/Ep.Bench.dll";

    /// <summary>The launcher, or null with <paramref name="problem"/> saying where it looked.</summary>
    public static BenchLauncher? Find(string? benchDll, string toolDirectory, string workingDirectory, string dotnet, out string? problem)
    {
        problem = null;
        if (!string.IsNullOrWhiteSpace(benchDll))
        {
            if (File.Exists(benchDll))
            {
                return new BenchLauncher(dotnet, [Path.GetFullPath(benchDll)], Path.GetFullPath(benchDll));
            }

            problem = "--bench-dll " + benchDll + " does not exist.";
            return null;
        }

        foreach (string besideTool in new[] { Path.Combine(toolDirectory, BundledPath), Path.Combine(toolDirectory, "Ep.Bench.dll") })
        {
            if (File.Exists(besideTool))
            {
                string full = Path.GetFullPath(besideTool);
                return new BenchLauncher(dotnet, [full], full);
            }
        }

        for (DirectoryInfo? folder = new(workingDirectory); folder is not null; folder = folder.Parent)
        {
            string project = Path.Combine(folder.FullName, ProjectPath);
            if (!File.Exists(project))
            {
                continue;
            }

            if (HasSdk(dotnet))
            {
                return new BenchLauncher(dotnet, ["run", "-c", "Release", "--project", project, "--"], project);
            }

            // A machine with only the .NET runtime (this project's GPU machines) cannot dotnet run: use the Release build.
            string built = Path.Combine(folder.FullName, ReleaseBuildPath);
            if (File.Exists(built))
            {
                return new BenchLauncher(dotnet, [built], built);
            }

            problem = "Ep.Bench not built: " + dotnet + " has no .NET SDK to build " + project + "; build it elsewhere (dotnet build "
                + "bench/Ep.Bench -c Release) and bring " + ReleaseBuildPath + ", or pass --bench-dll PATH.";
            return null;
        }

        problem = "Ep.Bench not found: pass --bench-dll PATH, install the Ep.Tool package (it carries " + BundledPath
            + "), or run from inside the Ep repository (" + ProjectPath + ").";
        return null;
    }

    /// <summary>Where <c>dotnet build bench/Ep.Bench -c Release</c> puts Ep.Bench, relative to the repository.</summary>
    public const string ReleaseBuildPath = "bench/Ep.Bench/bin/Release/net10.0/Ep.Bench.dll";

    /// <summary>
    /// Whether the dotnet host at <paramref name="dotnet"/> has an SDK (a non-empty <c>sdk</c> folder beside it);
    /// assumed for a bare <c>dotnet</c>, whose folder is not known.
    /// </summary>
    public static bool HasSdk(string dotnet)
    {
        ArgumentNullException.ThrowIfNull(dotnet);
        string? root = Path.GetDirectoryName(dotnet);
        if (string.IsNullOrEmpty(root))
        {
            return true;
        }

        string sdk = Path.Combine(root, "sdk");
        return Directory.Exists(sdk) && Directory.EnumerateDirectories(sdk).Any();
    }

    /// <summary>The launcher, or null with <paramref name="problem"/>; runs with the <c>dotnet</c> on PATH.</summary>
    public static BenchLauncher? Find(string? benchDll, string toolDirectory, string workingDirectory, out string? problem) =>
        Find(benchDll, toolDirectory, workingDirectory, "dotnet", out problem);

    /// <summary>The default search from this process, run with the dotnet host that runs ep.</summary>
    public static BenchLauncher? Find(string? benchDll, out string? problem) =>
        Find(benchDll, AppContext.BaseDirectory, Environment.CurrentDirectory, DotnetHost(), out problem);

    /// <summary>
    /// The dotnet host that runs this process: itself when started as <c>dotnet ep.dll</c>; else (an installed tool's
    /// <c>ep</c> shim, whose folder need not be on PATH with dotnet) the host three folders above the runtime
    /// (<c>DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION</c>); else <c>dotnet</c> from PATH.
    /// </summary>
    public static string DotnetHost()
    {
        string host = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } process && string.Equals(Path.GetFileName(process), host, StringComparison.OrdinalIgnoreCase))
        {
            return process;
        }

        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        string candidate = Path.Combine(root, host);
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
