using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Bench.Baselines;
using Ep.Bench.Engines;
using Ep.Bench.Metrics;
using Ep.Bench.Report;
using Ep.Bench.Timing;

namespace Ep.Bench.Processes;

/// <summary>
/// Rank 0's arithmetic over what every rank measured in a process run (pure: the GPU parts only supply the numbers):
/// the table rows with per-rank GB/s, the all-to-all baseline, ep_bench's columns, and the ratio lines.
/// </summary>
internal static class ProcessAggregation
{
    /// <summary>
    /// The rows of one engine: samples pooled over ranks as in the simulated path, and for each operation that moves rows
    /// each rank's bytes over its own median device time (min / median / max; the GB/s column is the median over ranks) and
    /// the all-to-all baseline's median time ÷ this operation's on the same rank (median over ranks).
    /// </summary>
    /// <param name="samples">Every rank's samples, by rank.</param>
    /// <param name="bytes">ep_bench's bytes of each rank, by rank.</param>
    /// <param name="algorithm">The layer's algorithm (LL has no backward rows).</param>
    /// <param name="allToAllMedians">The baseline's median microseconds per rank, or null when it did not run.</param>
    public static List<OperationResult> Rows(RankSamples[] samples, long[] bytes, EpAlgorithm algorithm, IReadOnlyList<double>? allToAllMedians)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(bytes);
        List<OperationResult> rows = EngineRunner.Rows(samples, bytes, algorithm, epBench: null);
        for (int i = 0; i < rows.Count; i++)
        {
            OperationResult row = rows[i];
            if (row.BytesPerRank is null || !TryOperation(row.Operation, out BenchOperation operation))
            {
                continue;
            }

            double?[] medians = samples.Select(s => Median(s.Device, operation)).ToArray();
            RankSpread? gbps = RankSpread.Of(medians.Select((m, r) => ByteFormulas.GigabytesPerSecond(bytes[r], m)));
            double? ratio = allToAllMedians is null
                ? null
                : RankSpread.Of(medians.Select((m, r) => m is > 0 && r < allToAllMedians.Count ? allToAllMedians[r] / m : (double?)null))?.Median;
            rows[i] = row with { GigabytesPerSecond = gbps?.Median ?? row.GigabytesPerSecond, RankGigabytesPerSecond = gbps, RatioToAllToAll = ratio };
        }

        return rows;
    }

    /// <summary>The baseline's figures from every rank's samples (by rank) and every rank's received bytes.</summary>
    public static AllToAllResult AllToAll(IReadOnlyList<IReadOnlyList<double>> samples, IReadOnlyList<long> receiveBytes)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(receiveBytes);
        double[] medians = samples.Select(s => SampleSummary.Of(s).Median).ToArray();
        return new AllToAllResult(receiveBytes, SampleSummary.Of(samples.SelectMany(s => s)),
            RankSpread.Of(medians.Select(m => (double?)m))!,
            RankSpread.Of(medians.Select((m, r) => ByteFormulas.GigabytesPerSecond(receiveBytes[r], m)))!);
    }

    /// <summary>The engine's rows with ep_bench's dispatch and combine figures (N ranks, same run) and ours ÷ theirs.</summary>
    public static EngineResult WithEpBench(EngineResult engine, EpBenchFigures figures)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(figures);
        return engine with
        {
            Operations = engine.Operations.Select(row =>
            {
                double? theirs = row.Operation switch
                {
                    "dispatch" => figures.Dispatch.GigabytesPerSecond,
                    "combine" => figures.Combine.GigabytesPerSecond,
                    _ => null,
                };
                return theirs is null ? row : row with { EpBenchGigabytesPerSecond = theirs, RatioToEpBench = row.GigabytesPerSecond / theirs };
            }).ToList(),
        };
    }

    /// <summary>
    /// One line per engine that ran: ours ÷ the all-to-all baseline for each operation that moves rows, then ours ÷ ep_bench
    /// for dispatch and combine where ep_bench ran — e.g. <c>staged ÷ all-to-all: dispatch 0.81, combine 0.77, …</c>.
    /// </summary>
    public static IReadOnlyList<string> RatioLines(IReadOnlyList<EngineResult> engines)
    {
        ArgumentNullException.ThrowIfNull(engines);
        var lines = new List<string>();
        foreach (EngineResult engine in engines.Where(e => e.Status == "ok"))
        {
            string allToAll = Join(engine.Operations.Where(r => r.RatioToAllToAll is not null).Select(r => (r.Operation, r.RatioToAllToAll)));
            if (allToAll.Length > 0)
            {
                lines.Add(engine.Engine + " ÷ all-to-all: " + allToAll);
            }
        }

        foreach (EngineResult engine in engines.Where(e => e.Status == "ok"))
        {
            string epBench = Join(engine.Operations.Where(r => r.RatioToEpBench is not null).Select(r => (r.Operation, r.RatioToEpBench)));
            if (epBench.Length > 0)
            {
                lines.Add(engine.Engine + " ÷ ep_bench: " + epBench);
            }
        }

        return lines;
    }

    private static string Join(IEnumerable<(string Operation, double? Ratio)> ratios) =>
        string.Join(", ", ratios.Select(r => r.Operation + " " + r.Ratio!.Value.ToString("F2", CultureInfo.InvariantCulture)));

    private static double? Median(Dictionary<BenchOperation, List<double>> samples, BenchOperation operation) =>
        samples.TryGetValue(operation, out List<double>? list) && list.Count > 0 ? SampleSummary.Of(list).Median : null;

    private static bool TryOperation(string label, out BenchOperation operation)
    {
        foreach (BenchOperation candidate in Enum.GetValues<BenchOperation>())
        {
            if (candidate.Label() == label)
            {
                operation = candidate;
                return true;
            }
        }

        operation = default;
        return false;
    }
}
