using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Timing;

namespace Ep.Bench.Metrics;

/// <summary>
/// NcclEp: where Ep's managed code in a Dispatch goes, medians of each part over the host pass, µs (all ranks pooled):
/// the checks of every tensor NCCL EP will see, the routing agreement, the rest up to and including
/// <c>ncclEpDispatch</c> (the handle, the source copies, the received rows' upkeep, the descriptors), the layout, and
/// the call's code outside the engine's Dispatch (the runtime's checks and the benchmark's step around it). Each part
/// is its wall time minus its native calls and the timing clock's own cost for each (<see cref="Ep.Engines.NcclEp.NcclEpDispatchSegments"/>).
/// Medians of parts need not add up to the median of the whole.
/// </summary>
internal sealed record ManagedDispatchParts(double Checks, double Agreement, double ToNcclEpDispatch, double Layout, double OutsideEngine)
{
    /// <summary>The medians, or null when no Dispatch recorded its parts (not NcclEp).</summary>
    public static ManagedDispatchParts? Of(IReadOnlyList<RankSamples> samples)
    {
        double[][] parts = samples.SelectMany(s => s.DispatchManagedParts).ToArray();
        if (parts.Length == 0)
        {
            return null;
        }

        double[] m = SampleSummary.ColumnMedians(parts);
        return new ManagedDispatchParts(m[0], m[1], m[2], m[3], m[4]);
    }
}
