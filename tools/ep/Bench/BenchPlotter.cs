using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Ep.Tool.Bench;

/// <summary>
/// Draws GB/s against tokens per rank with ScottPlot: one solid line per engine and operation, ep_bench's figures as
/// dashed reference lines, and the copy bandwidth as a dotted horizontal ceiling. Saved as PNG (SkiaSharp, headless) and
/// SVG. Skia's SVG canvas drops dash patterns, so the SVG is drawn with solid reference lines and
/// <see cref="SvgDashes"/> gives them <c>stroke-dasharray</c> afterwards, found by their colours (<see cref="ReferenceLines"/>),
/// which no engine line uses (engines take <see cref="EngineColors"/>).
/// </summary>
internal static class BenchPlotter
{
    public const int Width = 1000;
    public const int Height = 600;

    /// <summary>The engines' solid lines, in series order, cycling: matplotlib's category10.</summary>
    public static readonly IReadOnlyList<Color> EngineColors = new ScottPlot.Palettes.Category10().Colors;

    /// <summary>ep_bench's dispatch line (dashed).</summary>
    public static readonly DashedStroke EpBenchDispatch = new(Color.FromHex("#1B3A5C"), LinePattern.Dashed);

    /// <summary>ep_bench's combine line (dashed).</summary>
    public static readonly DashedStroke EpBenchCombine = new(Color.FromHex("#7A2E0E"), LinePattern.Dashed);

    /// <summary>The copy-bandwidth ceiling (dotted).</summary>
    public static readonly DashedStroke CopyCeiling = new(Color.FromHex("#3A3A3A"), LinePattern.Dotted);

    /// <summary>Every reference line's colour and pattern: what <see cref="SvgDashes"/> puts back into the SVG.</summary>
    public static readonly IReadOnlyList<DashedStroke> ReferenceLines = [EpBenchDispatch, EpBenchCombine, CopyCeiling];

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

        Draw(figures, title).SavePng(png, Width, Height);
        // Solid for Skia (which would only warn "Unsupported path effect" and draw them solid), dashed by SvgDashes.
        SvgDashes.Save(Draw(figures, title, skiaDashes: false).GetSvgXml(Width, Height), ReferenceLines, svg);
        return (png, svg);
    }

    /// <summary>The plot, unsaved; with <paramref name="skiaDashes"/> false the reference lines are drawn solid.</summary>
    public static Plot Draw(BenchFigures figures, string title, bool skiaDashes = true)
    {
        ArgumentNullException.ThrowIfNull(figures);
        BundledFont.Register();
        var plot = new Plot();
        plot.Font.Set(BundledFont.Family);
        plot.Title(title);
        plot.XLabel("tokens per rank");
        plot.YLabel("GB/s (ep_bench byte formula)");

        int index = 0;
        foreach (IGrouping<string, BenchPoint> series in figures.Engines.GroupBy(p => p.Series).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            AddLine(plot, series, EngineColors[index++ % EngineColors.Count], LinePattern.Solid);
        }

        foreach (IGrouping<string, BenchPoint> series in figures.EpBench.GroupBy(p => p.Series).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            DashedStroke style = series.Key.EndsWith("combine", StringComparison.Ordinal) ? EpBenchCombine : EpBenchDispatch;
            LinePattern pattern = skiaDashes ? style.Pattern : LinePattern.Solid;
            // A single ep_bench figure has no line to draw through it: show it as a horizontal reference at its value.
            if (series.Select(p => p.TokensPerRank).Distinct().Count() == 1)
            {
                BenchPoint only = series.First();
                var line = plot.Add.HorizontalLine(only.GigabytesPerSecond);
                line.LinePattern = pattern;
                line.Color = style.Color;
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{series.Key} ({only.TokensPerRank} tokens)");
            }
            else
            {
                AddLine(plot, series, style.Color, pattern);
            }
        }

        if (figures.CopyCeilingGigabytesPerSecond is { } ceiling)
        {
            var line = plot.Add.HorizontalLine(ceiling);
            line.LinePattern = skiaDashes ? CopyCeiling.Pattern : LinePattern.Solid;
            line.Color = CopyCeiling.Color;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"copy ceiling ({ceiling:F0} GB/s)");
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    private static void AddLine(Plot plot, IEnumerable<BenchPoint> points, Color color, LinePattern pattern)
    {
        BenchPoint[] sorted = points.OrderBy(p => p.TokensPerRank).ToArray();
        var scatter = plot.Add.Scatter(
            sorted.Select(p => (double)p.TokensPerRank).ToArray(),
            sorted.Select(p => p.GigabytesPerSecond).ToArray());
        scatter.LegendText = sorted[0].Series;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
        scatter.Color = color;
        scatter.LinePattern = pattern;
    }
}
