using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Ep.Engines.NcclEp;

namespace Ep.Bench.Metrics;

/// <summary>
/// The NcclEp Dispatch host time split into its parts (medians over the host pass, µs): Ep's routing agreement,
/// ncclEpUpdateHandle, ncclEpDispatch, Ep's layout. ep_bench times ncclEpDispatch alone (its handle is updated outside
/// the timed loop), so <see cref="NativeDispatch"/> is the figure that compares with it like for like.
/// </summary>
internal sealed record DispatchSplit(double Routing, double UpdateHandle, double NativeDispatch, double Layout)
{
    /// <summary>The medians of each part, or null when there are no samples (not NcclEp, or every step idle).</summary>
    public static DispatchSplit? Of(IEnumerable<NcclEpDispatchPhases> phases)
    {
        NcclEpDispatchPhases[] all = phases.Where(p => p.NativeDispatch > 0).ToArray();
        if (all.Length == 0)
        {
            return null;
        }

        static double Median(IEnumerable<long> ticks)
        {
            double[] sorted = ticks.Select(t => t * 1e6 / Stopwatch.Frequency).Order().ToArray();
            return sorted[sorted.Length / 2];
        }

        return new DispatchSplit(Median(all.Select(p => p.Routing)), Median(all.Select(p => p.UpdateHandle)),
            Median(all.Select(p => p.NativeDispatch)), Median(all.Select(p => p.Layout)));
    }
}
