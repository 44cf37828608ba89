using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace Ep.Tool.Bench;

/// <summary>One measured GB/s figure.</summary>
/// <param name="Series">e.g. "nccl-ep dispatch", "ep_bench combine".</param>
/// <param name="TokensPerRank">The run's tokens per rank.</param>
/// <param name="GigabytesPerSecond">ep_bench's byte formula over the median time.</param>
internal sealed record BenchPoint(string Series, int TokensPerRank, double GigabytesPerSecond);

/// <summary>What a plot shows: the engines' lines, ep_bench's reference points, and the copy ceiling.</summary>
/// <param name="Engines">Points of every ok engine's dispatch and combine.</param>
/// <param name="EpBench">ep_bench's dispatch and combine at the same configurations, where it ran.</param>
/// <param name="CopyCeilingGigabytesPerSecond">The largest same-run device copy bandwidth, or null on the CPU.</param>
internal sealed record BenchFigures(IReadOnlyList<BenchPoint> Engines, IReadOnlyList<BenchPoint> EpBench, double? CopyCeilingGigabytesPerSecond);

/// <summary>
/// Reads GB/s figures out of Ep.Bench's <c>--json</c> reports (bench/Ep.Bench/Report/BenchReport.cs is the schema) or
/// <c>ep bench</c>'s combined file (its <c>runs[].report</c>). Reads by property name, so new report fields do no harm.
/// </summary>
internal static class BenchFigureReader
{
    /// <summary>The operations plotted: the two that move tokens between ranks and that ep_bench measures.</summary>
    public static readonly string[] Operations = ["dispatch", "combine"];

    /// <summary>Every report in <paramref name="paths"/>, merged.</summary>
    public static BenchFigures ReadFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return FromReports(paths.SelectMany(path => Reports(JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException(path + " is empty."))));
    }

    /// <summary>The Ep.Bench reports inside <paramref name="document"/>: itself, or each <c>runs[].report</c>.</summary>
    public static IEnumerable<JsonNode> Reports(JsonNode document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document["runs"] is JsonArray runs)
        {
            return runs.Select(run => run?["report"]).OfType<JsonNode>();
        }

        return document["configuration"] is not null
            ? [document]
            : throw new InvalidDataException("Not an Ep.Bench report (no \"configuration\") nor an ep bench file (no \"runs\").");
    }

    /// <summary>The figures of <paramref name="reports"/>.</summary>
    public static BenchFigures FromReports(IEnumerable<JsonNode> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var engines = new List<BenchPoint>();
        var epBench = new List<BenchPoint>();
        double? ceiling = null;
        foreach (JsonNode report in reports)
        {
            int tokens = report["configuration"]?["tokensPerRank"]?.GetValue<int>()
                ?? throw new InvalidDataException("An Ep.Bench report has no configuration.tokensPerRank.");
            foreach (JsonNode? engine in report["engines"]?.AsArray() ?? [])
            {
                if (engine?["status"]?.GetValue<string>() != "ok")
                {
                    continue;
                }

                string name = engine["engine"]?.GetValue<string>() ?? "engine";
                foreach (JsonNode? operation in engine["operations"]?.AsArray() ?? [])
                {
                    string? op = operation?["operation"]?.GetValue<string>();
                    if (op is not null && Operations.Contains(op) && Number(operation!["gigabytesPerSecond"]) is { } gbps)
                    {
                        engines.Add(new BenchPoint(name + " " + op, tokens, gbps));
                    }
                }
            }

            JsonNode? figures = report["epBench"]?["figures"];
            foreach (string op in Operations)
            {
                if (Number(figures?[op]?["gigabytesPerSecond"]) is { } gbps)
                {
                    epBench.Add(new BenchPoint("ep_bench " + op, tokens, gbps));
                }
            }

            if (Number(report["copyBaseline"]?["gigabytesPerSecond"]) is { } copy)
            {
                ceiling = Math.Max(ceiling ?? 0, copy);
            }
        }

        return new BenchFigures(engines, epBench, ceiling);
    }

    /// <summary>A finite number, or null (the writer allows "NaN" strings for named floating-point values).</summary>
    private static double? Number(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        double number = value.TryGetValue(out double d) ? d
            : value.TryGetValue(out string? s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed
            : double.NaN;
        return double.IsFinite(number) ? number : null;
    }
}
