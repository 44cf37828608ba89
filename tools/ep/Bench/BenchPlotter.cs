using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Ep.Tool.Bench;

/// <summary>
/// Draws GB/s against tokens per rank with ScottPlot: one solid line per engine and operation, ep_bench's figures as
/// dashed reference lines, and the copy bandwidth as a horizontal ceiling. Saved as PNG (SkiaSharp, headless) and SVG.
/// </summary>
internal static class BenchPlotter
{
    public const int Width = 1000;
    public const int Height = 600;

    /// <summary>The PNG and SVG paths for <paramref name="plotPath"/>: its extension is replaced by .png and .svg.</summary>
    public static (string Png, string Svg) Paths(string plotPath)
    {
        ArgumentNullException.ThrowIfNull(plotPath);
        return (Path.ChangeExtension(plotPath, ".png"), Path.ChangeExtension(plotPath, ".svg"));
    }

    /// <summary>Draws <paramref name="figures"/> and writes both files; returns their paths.</summary>
    public static (string Png, string Svg) Save(BenchFigures figures, string plotPath, string title)
    {
        ArgumentNullException.ThrowIfNull(figures);
        (string png, string svg) = Paths(plotPath);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(png));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        Plot plot = Draw(figures, title);
        plot.SavePng(png, Width, Height);
        plot.SaveSvg(svg, Width, Height);
        return (png, svg);
    }

    /// <summary>The plot, unsaved.</summary>
    public static Plot Draw(BenchFigures figures, string title)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("tokens per rank");
        plot.YLabel("GB/s (ep_bench byte formula)");

        foreach (IGrouping<string, BenchPoint> series in figures.Engines.GroupBy(p => p.Series).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            AddLine(plot, series, dashed: false);
        }

        foreach (IGrouping<string, BenchPoint> series in figures.EpBench.GroupBy(p => p.Series).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // A single ep_bench figure has no line to draw through it: show it as a horizontal reference at its value.
            if (series.Select(p => p.TokensPerRank).Distinct().Count() == 1)
            {
                BenchPoint only = series.First();
                var line = plot.Add.HorizontalLine(only.GigabytesPerSecond);
                line.LinePattern = LinePattern.Dashed;
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{series.Key} ({only.TokensPerRank} tokens)");
            }
            else
            {
                AddLine(plot, series, dashed: true);
            }
        }

        if (figures.CopyCeilingGigabytesPerSecond is { } ceiling)
        {
            var line = plot.Add.HorizontalLine(ceiling);
            line.LinePattern = LinePattern.Dotted;
            line.Color = Colors.Black;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"copy ceiling ({ceiling:F0} GB/s)");
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static void AddLine(Plot plot, IEnumerable<BenchPoint> points, bool dashed)
    {
        BenchPoint[] sorted = points.OrderBy(p => p.TokensPerRank).ToArray();
        var scatter = plot.Add.Scatter(
            sorted.Select(p => (double)p.TokensPerRank).ToArray(),
            sorted.Select(p => p.GigabytesPerSecond).ToArray());
        scatter.LegendText = sorted[0].Series;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
        if (dashed)
        {
            scatter.LinePattern = LinePattern.Dashed;
        }
    }
}
