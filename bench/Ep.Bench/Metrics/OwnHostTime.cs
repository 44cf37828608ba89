using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Timing;

namespace Ep.Bench.Metrics;

/// <summary>
/// NcclEp: the host time Ep itself adds to a Dispatch and a Combine call — the call's wall time minus its native calls
/// (ncclEpUpdateHandle and ncclEpDispatch; ncclEpCombine) — medians over the host pass, µs. The target is
/// ≤ 2 µs. Dispatch's share includes the routing agreement, which waits for Ep's checking kernels on the device before
/// NCCL EP may see the ids (it aborts the process on a bad one), so it is given beside it, with the part of it spent in
/// the routing record's read-back and its wait.
/// </summary>
internal sealed record OwnHostTime(double Dispatch, double Combine, double DispatchRoutingAgreement, double? DispatchRoutingReadBack = null)
{
    /// <summary>The medians, or null when the samples lack either call (not NcclEp).</summary>
    public static OwnHostTime? Of(IReadOnlyList<RankSamples> samples, DispatchSplit? split)
    {
        double[] dispatch = samples.SelectMany(s => s.OwnHost.GetValueOrDefault(BenchOperation.Dispatch) ?? []).ToArray();
        double[] combine = samples.SelectMany(s => s.OwnHost.GetValueOrDefault(BenchOperation.Combine) ?? []).ToArray();
        return dispatch.Length == 0 || combine.Length == 0
            ? null
            : new OwnHostTime(SampleSummary.Of(dispatch).Median, SampleSummary.Of(combine).Median, split?.Routing ?? 0, split?.RoutingReadBack);
    }
}
