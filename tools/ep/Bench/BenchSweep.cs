using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;

namespace Ep.Tool.Bench;

/// <summary>One Ep.Bench run of a sweep.</summary>
/// <param name="TokensPerRank">The --tokens value.</param>
/// <param name="ExitCode">Ep.Bench's exit code (0 ok, 1 an engine failed or could not run, 2 usage).</param>
/// <param name="ReportPath">Where Ep.Bench wrote its JSON.</param>
/// <param name="Report">That JSON, unchanged; null when it wrote none.</param>
/// <param name="ErrorTail">The last lines of its standard error when it failed.</param>
internal sealed record BenchRun(int TokensPerRank, int ExitCode, string ReportPath, JsonNode? Report, string? ErrorTail);

/// <summary>What <c>ep bench</c> writes: every run's Ep.Bench report, unchanged, in one file.</summary>
/// <param name="Tool">"ep bench".</param>
/// <param name="Bench">Where Ep.Bench was found: its dll, or the project run with <c>dotnet run</c>.</param>
/// <param name="BenchArguments">The Ep.Bench options shared by every run.</param>
/// <param name="Runs">One per --tokens value.</param>
internal sealed record BenchSweepReport(string Tool, string Bench, IReadOnlyList<string> BenchArguments, IReadOnlyList<BenchRun> Runs);

/// <summary>Runs Ep.Bench once per token count, each writing its own <c>--json</c> report into a folder.</summary>
internal static class BenchSweep
{
    /// <summary>Runs the sweep; <paramref name="status"/> hears which run is next.</summary>
    public static BenchSweepReport Run(BenchLauncher launcher, IReadOnlyList<string> benchArguments, IReadOnlyList<int> tokens, string reportFolder, Action<string> status)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        ArgumentNullException.ThrowIfNull(benchArguments);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(status);
        Directory.CreateDirectory(reportFolder);
        var runs = new List<BenchRun>();
        for (int i = 0; i < tokens.Count; i++)
        {
            int t = tokens[i];
            status(string.Create(CultureInfo.InvariantCulture, $"Ep.Bench {i + 1}/{tokens.Count}: {t} tokens per rank"));
            string path = Path.GetFullPath(Path.Combine(reportFolder, string.Create(CultureInfo.InvariantCulture, $"tokens-{t}.json")));
            File.Delete(path); // a stale report from an earlier sweep must not pass for this run's
            var arguments = new List<string>(launcher.LeadingArguments);
            arguments.AddRange(benchArguments);
            arguments.AddRange(["--tokens", t.ToString(CultureInfo.InvariantCulture), "--json", path]);
            (int exitCode, string errors) = Execute(launcher.FileName, arguments);
            JsonNode? report = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
            runs.Add(new BenchRun(t, exitCode, path, report, exitCode == 0 ? null : Tail(errors)));
        }

        return new BenchSweepReport("ep bench", launcher.Description, benchArguments, runs);
    }

    private static (int ExitCode, string Errors) Execute(string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + fileName + ".");
        // Read both pipes concurrently: a full stderr pipe would otherwise stall Ep.Bench while we wait on stdout.
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, errors.GetAwaiter().GetResult());
    }

    private static string Tail(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines[Math.Max(0, lines.Length - 5)..]);
    }
}
