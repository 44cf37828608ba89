using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using Ep.Tool.Bench;
using Spectre.Console;

namespace Ep.Tool;

/// <summary>
/// <c>ep bench</c>: runs Ep.Bench once per <c>--tokens</c> value and writes the reports into one JSON file; <c>--plot</c>
/// draws GB/s against tokens per rank. <c>--from</c> plots reports that already exist, without running anything.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(ToolConsole console)
    {
        var layer = new Option<string?>("--layer") { Description = "Ep.Bench configuration (Ep.Bench --list-layers); default: Ep.Bench's" };
        var engine = new Option<string?>("--engine") { Description = "Ep.Bench engines: staged, nccl-ep, reference, all" };
        var ranks = new Option<int?>("--ranks") { Description = "Simulated ranks for the staged and reference engines" };
        var tokens = new Option<int[]>("--tokens")
        {
            Description = "Tokens per rank to sweep, e.g. --tokens 512 1024 2048 4096",
            AllowMultipleArgumentsPerToken = true,
        };
        var warmup = new Option<int?>("--warmup") { Description = "Untimed steps per run (Ep.Bench's default otherwise)" };
        var iterations = new Option<int?>("--iters") { Description = "Timed steps per pass (Ep.Bench's default otherwise)" };
        var noEpBench = new Option<bool>("--no-ep-bench") { Description = "Do not run NCCL EP's ep_bench beside each run" };
        var benchDll = new Option<string?>("--bench-dll") { Description = "Path of Ep.Bench.dll (default: next to ep, else bench/Ep.Bench in this repository)" };
        var reports = new Option<string>("--reports") { Description = "Folder for each run's Ep.Bench JSON", DefaultValueFactory = _ => "ep-bench-reports" };
        var output = new Option<string>("--output", "-o") { Description = "The combined JSON file", DefaultValueFactory = _ => "ep-bench.json" };
        var plot = new Option<string?>("--plot") { Description = "Draw GB/s against tokens per rank to this .png, and the same name with .svg" };
        var from = new Option<string[]>("--from")
        {
            Description = "Plot or summarise these Ep.Bench or ep bench JSON files instead of running",
            AllowMultipleArgumentsPerToken = true,
        };
        var json = new Option<bool>("--json") { Description = "Print only JSON (the combined report, or the figures with --from)" };

        var command = new Command("bench", "Run Ep.Bench over a sweep of token counts, collect its JSON reports, and plot GB/s");
        foreach (Option option in new Option[] { layer, engine, ranks, tokens, warmup, iterations, noEpBench, benchDll, reports, output, plot, from, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
        {
            bool asJson = result.GetValue(json);
            string? plotPath = result.GetValue(plot);
            string[] fromFiles = result.GetValue(from) ?? [];
            try
            {
                if (fromFiles.Length > 0)
                {
                    return FromReports(console, fromFiles, plotPath, asJson);
                }

                int[] sweep = result.GetValue(tokens) ?? [];
                if (sweep.Length == 0 || sweep.Any(t => t <= 0))
                {
                    return ToolExit.Usage(console, ["--tokens needs one or more positive token counts (or use --from to plot existing reports)."]);
                }

                BenchLauncher? launcher = BenchLocator.Find(result.GetValue(benchDll), out string? problem);
                if (launcher is null)
                {
                    return ToolExit.Usage(console, [problem!]);
                }

                var arguments = new List<string>();
                AddIf(arguments, "--layer", result.GetValue(layer));
                AddIf(arguments, "--engine", result.GetValue(engine));
                AddIf(arguments, "--ranks", result.GetValue(ranks));
                AddIf(arguments, "--warmup", result.GetValue(warmup));
                AddIf(arguments, "--iters", result.GetValue(iterations));
                if (result.GetValue(noEpBench))
                {
                    arguments.Add("--no-ep-bench");
                }

                return Sweep(console, launcher, arguments, sweep, result.GetValue(reports)!, result.GetValue(output)!, plotPath, asJson);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or InvalidOperationException or UnauthorizedAccessException)
            {
                console.Error.WriteLine("ep bench: " + e.Message);
                return ToolExit.Failure;
            }
        });
        return command;
    }

    private static int FromReports(ToolConsole console, string[] files, string? plotPath, bool asJson)
    {
        BenchFigures figures = BenchFigureReader.ReadFiles(files);
        (string Png, string Svg)? plotted = plotPath is null ? null : BenchPlotter.Save(figures, plotPath, Title(files));
        if (asJson)
        {
            console.Out.WriteLine(ToolJson.Serialize(new { figures, png = plotted?.Png, svg = plotted?.Svg }));
        }
        else
        {
            WriteSummary(console, figures, plotted);
        }

        return figures.Engines.Count > 0 || figures.EpBench.Count > 0 ? ToolExit.Success : NoFigures(console);
    }

    private static int Sweep(ToolConsole console, BenchLauncher launcher, List<string> arguments, int[] tokens, string reportFolder, string outputPath,
        string? plotPath, bool asJson)
    {
        BenchSweepReport sweep = ToolProgress.Run(console, asJson, "Starting Ep.Bench (" + launcher.Description + ")",
            status => BenchSweep.Run(launcher, arguments, tokens, reportFolder, status));
        string text = ToolJson.Serialize(sweep);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(outputPath, text);
        BenchFigures figures = BenchFigureReader.FromReports(sweep.Runs.Select(r => r.Report).OfType<System.Text.Json.Nodes.JsonNode>());
        (string Png, string Svg)? plotted = plotPath is null ? null : BenchPlotter.Save(figures, plotPath, Title([outputPath]));
        if (asJson)
        {
            console.Out.WriteLine(text);
        }
        else
        {
            foreach (BenchRun run in sweep.Runs.Where(r => r.ExitCode != 0))
            {
                console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ep bench: {run.TokensPerRank} tokens: Ep.Bench exited {run.ExitCode}: {run.ErrorTail}"));
            }

            WriteSummary(console, figures, plotted);
            console.Out.WriteLine("Reports: " + Path.GetFullPath(outputPath));
        }

        return sweep.Runs.All(r => r.ExitCode == 0) ? ToolExit.Success : ToolExit.Failure;
    }

    private static void WriteSummary(ToolConsole console, BenchFigures figures, (string Png, string Svg)? plotted)
    {
        IAnsiConsole rich = console.Rich();
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("series");
        table.AddColumn(new TableColumn("tokens per rank").RightAligned());
        table.AddColumn(new TableColumn("GB/s").RightAligned());
        foreach (BenchPoint point in figures.Engines.Concat(figures.EpBench).OrderBy(p => p.Series, StringComparer.Ordinal).ThenBy(p => p.TokensPerRank))
        {
            table.AddRow(
                new Text(point.Series),
                new Text(point.TokensPerRank.ToString(CultureInfo.InvariantCulture)),
                new Text(point.GigabytesPerSecond.ToString("F2", CultureInfo.InvariantCulture)));
        }

        rich.Write(table);
        rich.WriteLine(figures.CopyCeilingGigabytesPerSecond is { } ceiling
            ? string.Create(CultureInfo.InvariantCulture, $"Copy ceiling: {ceiling:F1} GB/s")
            : "Copy ceiling: not measured (no GPU in these reports)");
        if (plotted is { } files)
        {
            rich.WriteLine("Plot: " + files.Png + ", " + files.Svg);
        }
    }

    private static int NoFigures(ToolConsole console)
    {
        console.Error.WriteLine("ep bench: the reports hold no dispatch or combine GB/s (every engine skipped or failed?).");
        return ToolExit.Failure;
    }

    private static string Title(IReadOnlyList<string> files) =>
        "Ep.Bench: " + string.Join(", ", files.Select(Path.GetFileNameWithoutExtension));

    private static void AddIf<T>(List<string> arguments, string name, T? value)
    {
        if (value is not null)
        {
            arguments.Add(name);
            arguments.Add(string.Format(CultureInfo.InvariantCulture, "{0}", value));
        }
    }
}
