using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Ep.Tool.Bench;
using Xunit;

namespace Ep.Tool.Tests;

/// <summary>
/// The Ep.Tool package as a user gets it: packed from tools/ep, installed with <c>dotnet tool install --tool-path</c>
/// from that package alone, and run outside the repository, so <c>ep bench</c> can only use the Ep.Bench it carries.
/// </summary>
public class ToolPackageTests
{
#if DEBUG
    private const string Configuration = "Debug"; // the configuration this test was built in, so the pack is incremental
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task The_installed_tool_carries_Ep_Bench_and_runs_a_cpu_sweep_with_it()
    {
        string folder = Path.Combine(Path.GetTempPath(), "ep-tool-package-" + Guid.NewGuid().ToString("N"));
        try
        {
            string repository = RepositoryRoot();
            string packages = Path.Combine(folder, "package");
            await Dotnet(repository, ["pack", Path.Combine(repository, "tools", "ep"), "-c", Configuration, "-o", packages, "--disable-build-servers", "-v", "quiet"]);

            string package = Assert.Single(Directory.GetFiles(packages, "Ep.Tool.*.nupkg"));
            using (ZipArchive zip = ZipFile.OpenRead(package))
            {
                string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
                foreach (string file in new[] { "Ep.Bench.dll", "Ep.Bench.runtimeconfig.json", "Ep.Bench.deps.json", "Ep.Runtime.dll", "Ep.Abstractions.dll" })
                {
                    Assert.Contains("tools/net10.0/any/bench/" + file, entries);
                }

                Assert.Contains("tools/net10.0/any/ep.dll", entries);
            }

            // Only the package just packed: a NuGet.config with no other source, and a fresh packages folder, because
            // the version stays 0.1.0-dev from commit to commit and a cached copy would hide a packaging mistake.
            string version = Path.GetFileNameWithoutExtension(package)["Ep.Tool.".Length..];
            string config = Path.Combine(folder, "NuGet.config");
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="ep-tool" value="{packages}" />
                  </packageSources>
                </configuration>
                """, TestContext.Current.CancellationToken);
            string tools = Path.Combine(folder, "tools");
            await Dotnet(folder, ["tool", "install", "Ep.Tool", "--tool-path", tools, "--version", version, "--configfile", config],
                new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(folder, "nuget-packages") });

            string ep = Path.Combine(tools, OperatingSystem.IsWindows() ? "ep.exe" : "ep");
            string output = Path.Combine(folder, "sweep.json");
            (int exitCode, string stdout, string stderr) = await Execute(ep, folder,
                ["bench", "--tokens", "16", "32", "--engine", "reference", "--layer", "small-ht", "--ranks", "2", "--warmup", "1", "--iters", "2",
                 "--no-ep-bench", "--reports", Path.Combine(folder, "reports"), "--output", output, "--plot", Path.Combine(folder, "sweep.png"), "--json"]);

            Assert.True(exitCode == 0, stderr + stdout);
            using JsonDocument sweep = JsonDocument.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken));
            string bench = sweep.RootElement.GetProperty("bench").GetString()!;
            Assert.StartsWith(Path.GetFullPath(tools), bench, StringComparison.Ordinal);
            Assert.EndsWith(Path.Combine("bench", "Ep.Bench.dll"), bench, StringComparison.Ordinal);
            Assert.All(sweep.RootElement.GetProperty("runs").EnumerateArray(), run => Assert.Equal(0, run.GetProperty("exitCode").GetInt32()));
            Assert.True(File.Exists(Path.Combine(folder, "sweep.svg")));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void The_bundled_Ep_Bench_comes_before_a_copy_next_to_ep_and_the_repository()
    {
        string tool = Path.Combine(Path.GetTempPath(), "ep-tool-locator-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(tool, "bench"));
            File.WriteAllText(Path.Combine(tool, "Ep.Bench.dll"), "");

            // A copy next to ep is used when the package's bench/ is absent.
            BenchLauncher? beside = BenchLocator.Find(null, tool, AppContext.BaseDirectory, "/opt/dotnet/dotnet", out _);
            Assert.Equal([Path.Combine(tool, "Ep.Bench.dll")], beside!.LeadingArguments);

            File.WriteAllText(Path.Combine(tool, BenchLocator.BundledPath), "");
            BenchLauncher? bundled = BenchLocator.Find(null, tool, AppContext.BaseDirectory, "/opt/dotnet/dotnet", out string? problem);

            Assert.Null(problem);
            Assert.Equal("/opt/dotnet/dotnet", bundled!.FileName);
            Assert.Equal([Path.Combine(tool, "bench", "Ep.Bench.dll")], bundled.LeadingArguments);
            Assert.Equal(Path.Combine(tool, "bench", "Ep.Bench.dll"), bundled.Description);

            // --bench-dll still wins.
            string explicitDll = Path.Combine(tool, "Ep.Bench.dll");
            Assert.Equal([explicitDll], BenchLocator.Find(explicitDll, tool, AppContext.BaseDirectory, "dotnet", out _)!.LeadingArguments);
        }
        finally
        {
            Directory.Delete(tool, recursive: true);
        }
    }

    [Fact]
    public void Outside_the_repository_without_a_bundled_copy_the_problem_names_every_place_looked()
    {
        string empty = Path.Combine(Path.GetTempPath(), "ep-tool-locator-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        try
        {
            Assert.Null(BenchLocator.Find(null, empty, empty, out string? problem));
            Assert.Contains("--bench-dll", problem, StringComparison.Ordinal);
            Assert.Contains(BenchLocator.BundledPath, problem, StringComparison.Ordinal);
            Assert.Contains(BenchLocator.ProjectPath, problem, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Without_an_sdk_a_checkout_runs_its_release_build_instead_of_dotnet_run()
    {
        string root = Path.Combine(Path.GetTempPath(), "ep-tool-locator-" + Guid.NewGuid().ToString("N"));
        try
        {
            string runtimeOnly = Path.Combine(root, "dotnet-runtime", "dotnet");
            Directory.CreateDirectory(Path.Combine(root, "dotnet-runtime", "shared"));
            string checkout = Path.Combine(root, "checkout");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(checkout, BenchLocator.ProjectPath))!);
            File.WriteAllText(Path.Combine(checkout, BenchLocator.ProjectPath), "");
            string tool = Path.Combine(root, "tool");
            Directory.CreateDirectory(tool);

            Assert.False(BenchLocator.HasSdk(runtimeOnly));
            Assert.Null(BenchLocator.Find(null, tool, checkout, runtimeOnly, out string? problem));
            Assert.Contains("no .NET SDK", problem, StringComparison.Ordinal);
            Assert.Contains(BenchLocator.ReleaseBuildPath, problem, StringComparison.Ordinal);

            string built = Path.Combine(checkout, BenchLocator.ReleaseBuildPath);
            Directory.CreateDirectory(Path.GetDirectoryName(built)!);
            File.WriteAllText(built, "");
            BenchLauncher? launcher = BenchLocator.Find(null, tool, Path.Combine(checkout, "bench"), runtimeOnly, out _);
            Assert.Equal([built], launcher!.LeadingArguments);
            Assert.Equal(runtimeOnly, launcher.FileName);

            // With an SDK beside dotnet, the project is run (and so rebuilt when its sources changed).
            Directory.CreateDirectory(Path.Combine(root, "dotnet-runtime", "sdk", "10.0.100"));
            Assert.Equal("run", BenchLocator.Find(null, tool, checkout, runtimeOnly, out _)!.LeadingArguments[0]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_dotnet_host_is_the_one_running_this_process()
    {
        string host = BenchLocator.DotnetHost();

        Assert.True(host == "dotnet" || File.Exists(host), host);
        Assert.StartsWith("dotnet", Path.GetFileName(host), StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Ep.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Ep.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task Dotnet(string workingDirectory, string[] arguments, Dictionary<string, string>? environment = null)
    {
        (int exitCode, string output, string error) = await Execute(BenchLocator.DotnetHost(), workingDirectory, arguments, environment);
        Assert.True(exitCode == 0, "dotnet " + string.Join(' ', arguments) + " exited " + exitCode + ":\n" + output + error);
    }

    private static async Task<(int ExitCode, string Out, string Error)> Execute(string fileName, string workingDirectory, string[] arguments,
        Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
