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
    public static CudaGraphDecision? With(CudaGraphDecision? decision, IReadOnlyList<RankSamples> samples, Baselines.EpBenchFigures? epBench = null)
    {
        if (decision is null || samples.Count == 0 || samples[0].GraphDevice.Count == 0)
        {
            return decision;
        }

        RankSamples rank = samples[0];
        return decision with
        {
            Replay = new CudaGraphTiming(SampleSummary.Of(rank.GraphDevice), SampleSummary.Of(rank.GraphHost), SampleSummary.Of(rank.GraphAllocated),
                EagerMedianSum(rank.Device), EagerMedianSum(rank.Host), epBench?.Dispatch.Microseconds + epBench?.Combine.Microseconds,
                GraphSplit.Of(rank.GraphParts, epBench)),
        };
    }

    /// <summary>Median Dispatch + median Combine: the eager calls that do a captured step's work (its experts being the identity).</summary>
    private static double? EagerMedianSum(Dictionary<BenchOperation, List<double>> samples) =>
        samples.TryGetValue(BenchOperation.Dispatch, out List<double>? dispatch) && samples.TryGetValue(BenchOperation.Combine, out List<double>? combine)
            ? new[] { dispatch, combine }.Sum(list => SampleSummary.Of(list).Median)
            : null;
}
