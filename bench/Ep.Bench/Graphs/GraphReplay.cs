using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Metrics;
using Ep.Bench.Timing;

namespace Ep.Bench.Graphs;

/// <summary>Puts the replays' samples (one rank: the NcclEp engine runs one) into the engine's capture decision.</summary>
internal static class GraphReplay
{
    /// <summary>
    /// <paramref name="decision"/> with its replay timing when the samples have any (and ep_bench's dispatch + combine
    /// time beside it when <paramref name="epBench"/> ran); null stays null.
    /// </summary>
    public static CudaGraphDecision? With(CudaGraphDecision? decision, IReadOnlyList<RankSamples> samples, EpAlgorithm algorithm,
        Baselines.EpBenchFigures? epBench = null)
    {
        if (decision is null || samples.Count == 0 || samples[0].GraphDevice.Count == 0)
        {
            return decision;
        }

        RankSamples rank = samples[0];
        return decision with
        {
            Replay = new CudaGraphTiming(SampleSummary.Of(rank.GraphDevice), SampleSummary.Of(rank.GraphHost), SampleSummary.Of(rank.GraphAllocated),
                EagerMedian(rank.Device, algorithm), EagerMedian(rank.Host, algorithm), epBench?.Dispatch.Microseconds + epBench?.Combine.Microseconds,
                GraphSplit.Of(rank.GraphParts, epBench, algorithm == EpAlgorithm.LowLatency, rank.GraphHandleRebuilds), algorithm == EpAlgorithm.LowLatency),
            TrainingReplay = rank.TrainingGraphDevice.Count == 0
                ? null
                : new CudaGraphTiming(SampleSummary.Of(rank.TrainingGraphDevice), SampleSummary.Of(rank.TrainingGraphHost),
                    SampleSummary.Of(rank.TrainingGraphAllocated), Median(rank.Device, BenchOperation.Step), Median(rank.Host, BenchOperation.Step),
                    LowLatency: false, Training: true),
        };
    }

    /// <summary>The median of <paramref name="operation"/>'s samples, or null when it has none.</summary>
    private static double? Median(Dictionary<BenchOperation, List<double>> samples, BenchOperation operation) =>
        samples.TryGetValue(operation, out List<double>? list) ? SampleSummary.Of(list).Median : null;

    /// <summary>
    /// The eager calls that do a captured step's work, its experts being the identity: LowLatency, median Dispatch +
    /// median Combine (the graph's experts return the Combine buffer, so no Unpermute copy); HighThroughput, the median
    /// forward span (Dispatch, Permute, Unpermute, Combine — all of which the graph runs).
    /// </summary>
    private static double? EagerMedian(Dictionary<BenchOperation, List<double>> samples, EpAlgorithm algorithm)
    {
        if (algorithm != EpAlgorithm.LowLatency)
        {
            return samples.TryGetValue(BenchOperation.Forward, out List<double>? forward) ? SampleSummary.Of(forward).Median : null;
        }

        return samples.TryGetValue(BenchOperation.Dispatch, out List<double>? dispatch) && samples.TryGetValue(BenchOperation.Combine, out List<double>? combine)
            ? new[] { dispatch, combine }.Sum(list => SampleSummary.Of(list).Median)
            : null;
    }
}
