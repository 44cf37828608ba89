using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Ep.Engines.NcclEp;

namespace Ep.Bench.Metrics;

/// <summary>
/// The NcclEp Dispatch time split into its parts (medians, µs): Ep's routing agreement, ncclEpUpdateHandle,
/// ncclEpDispatch, Ep's layout — host wall time over the host pass (<see cref="Of"/>), or the stream's time between
/// events Dispatch records over the device pass (<see cref="OfDevice"/>). ep_bench times ncclEpDispatch alone (its
/// handle is updated outside the timed loop), so <see cref="NativeDispatch"/> is the figure that compares with it.
/// <see cref="RoutingReadBack"/> (host only): the part of the agreement spent issuing the routing record's read-back
/// and waiting for it — the rest of the agreement is the host's own work and its launches.
/// </summary>
internal sealed record DispatchSplit(double Routing, double UpdateHandle, double NativeDispatch, double Layout, double? RoutingReadBack = null)
{
    /// <summary>The medians of each part, or null when there are no samples (not NcclEp, or every step idle).</summary>
    public static DispatchSplit? Of(IEnumerable<NcclEpDispatchPhases> phases)
    {
        NcclEpDispatchPhases[] all = phases.Where(p => p.NativeDispatch > 0).ToArray();
        if (all.Length == 0)
        {
            return null;
        }

        static double Median(IEnumerable<long> ticks) => SampleSummary.Of(ticks.Select(t => t * 1e6 / Stopwatch.Frequency)).Median;

        return new DispatchSplit(Median(all.Select(p => p.Routing)), Median(all.Select(p => p.UpdateHandle)),
            Median(all.Select(p => p.NativeDispatch)), Median(all.Select(p => p.Layout)), Median(all.Select(p => p.RoutingReadBack)));
    }

    /// <summary>The same four parts on the device (µs between the events Dispatch recorded on its stream), or null without samples.</summary>
    public static DispatchSplit? OfDevice(IReadOnlyCollection<double[]> parts)
    {
        if (parts.Count == 0)
        {
            return null;
        }

        double[] m = SampleSummary.ColumnMedians(parts);
        return new DispatchSplit(m[0], m[1], m[2], m[3]);
    }
}
