using System.Collections.Generic;
using Ep.Bench.Metrics;

namespace Ep.Bench.Graphs;

/// <summary>
/// A captured NcclEp step's parts on the device (medians over replays, µs, from events the graph records), with its
/// Dispatch part and Combine part beside ep_bench's dispatch and combine in the same run.
/// </summary>
/// <param name="RoutingCheck">ep_sanitize_routing and the gather of every rank's error records (HighThroughput: and the choice whether to rebuild the handle).</param>
/// <param name="UpdateHandle">ncclEpUpdateHandle (HighThroughput: its conditional node, empty when the routing repeats).</param>
/// <param name="NativeDispatch">ncclEpDispatch.</param>
/// <param name="Layout">LowLatency: the padding upkeep's join across ranks (ep_clear_rows_past_counts runs beside ncclEpDispatch; at one rank the routing check's launch clears the padding, and this is the event alone); HighThroughput: Permute (Flat; nothing for ExpertMajor).</param>
/// <param name="DispatchPart">
/// What Ep's Dispatch does in the graph, ep_bench's dispatch's counterpart: the three above and, LowLatency, the layout
/// upkeep its result needs (HighThroughput's Layout is Permute's work, which eager Dispatch does not do either); timed
/// in a graph that records no event inside it.
/// </param>
/// <param name="CombinePart">After the experts to the end: ncclEpCombine (HighThroughput: Unpermute, then ncclEpCombine); timed as the Dispatch part.</param>
/// <param name="SplitDispatchPart">The Dispatch part in the graph that records the split: what the split's own event nodes add to it.</param>
/// <param name="EpBenchDispatch">ep_bench's dispatch, µs, same run.</param>
/// <param name="EpBenchCombine">ep_bench's combine, µs, same run.</param>
/// <param name="HandleRebuilds">HighThroughput: in how many of the replays the handle was rebuilt (the routing changed), of how many.</param>
internal sealed record GraphSplit(double RoutingCheck, double UpdateHandle, double NativeDispatch, double Layout, double DispatchPart, double CombinePart,
    double SplitDispatchPart, double? EpBenchDispatch, double? EpBenchCombine, HandleRebuilds? HandleRebuilds = null)
{
    /// <summary>ep_bench's dispatch time ÷ the Dispatch part's: the Dispatch part's GB/s ÷ ep_bench's (same bytes).</summary>
    public double? DispatchRatio => EpBenchDispatch / DispatchPart;

    /// <summary>ep_bench's combine time ÷ the Combine part's.</summary>
    public double? CombineRatio => EpBenchCombine / CombinePart;

    /// <summary>
    /// The medians of <paramref name="parts"/> (each replay's seven parts, as <see cref="Timing.RankSamples.GraphParts"/>
    /// lists them), or null when there are none.
    /// </summary>
    public static GraphSplit? Of(IReadOnlyList<double[]> parts, Baselines.EpBenchFigures? epBench, bool lowLatency,
        HandleRebuilds? handleRebuilds = null)
    {
        if (parts.Count == 0)
        {
            return null;
        }

        double[] m = SampleSummary.ColumnMedians(parts);
        return new GraphSplit(m[0], m[1], m[2], m[3], m[4], m[5], m[6], epBench?.Dispatch.Microseconds, epBench?.Combine.Microseconds,
            lowLatency ? null : handleRebuilds);
    }
}
