using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Timing;

namespace Ep.Bench.Metrics;

/// <summary>
/// NcclEp: the host time Ep itself adds to a Dispatch and a Combine call — the call's wall time minus NCCL EP's native
/// calls (ncclEpUpdateHandle and ncclEpDispatch; ncclEpCombine) — medians over the host pass, µs. Dispatch's share
/// includes the routing agreement, which waits for Ep's checking kernels on the device before NCCL EP may see the ids
/// (it aborts the process on a bad one), so it is given beside it, with the part of it spent in the routing record's
/// read-back and its wait. <c>ManagedDispatch</c> and <c>ManagedCombine</c> subtract every native call instead — Ep's
/// own CUDA launches, copies and event calls too, each with the timing clock's own cost (<c>ClockCostPerCall</c>, µs,
/// calibrated in the same pass), and the clock reads of the engine's split (<c>ClockCostPerRead</c> each) — leaving the
/// time in Ep's managed code alone, and Dispatch's by part (<see cref="ManagedDispatchParts"/>). The target
/// (≤ 2 µs, "everything but the native calls themselves") is read against both.
/// </summary>
internal sealed record OwnHostTime(double Dispatch, double Combine, double DispatchRoutingAgreement, double? DispatchRoutingReadBack = null,
    double? ManagedDispatch = null, double? ManagedCombine = null, double? ClockCostPerCall = null, ManagedDispatchParts? ManagedDispatchByPart = null,
    double? ClockCostPerRead = null)
{
    /// <summary>The medians, or null when the samples lack either call (not NcclEp).</summary>
    public static OwnHostTime? Of(IReadOnlyList<RankSamples> samples, DispatchSplit? split)
    {
        double[] dispatch = Pooled(samples, s => s.OwnHost, BenchOperation.Dispatch);
        double[] combine = Pooled(samples, s => s.OwnHost, BenchOperation.Combine);
        if (dispatch.Length == 0 || combine.Length == 0)
        {
            return null;
        }

        double[] managedDispatch = Pooled(samples, s => s.ManagedHost, BenchOperation.Dispatch);
        double[] managedCombine = Pooled(samples, s => s.ManagedHost, BenchOperation.Combine);
        double[] clockCosts = samples.Select(s => s.ClockCostPerCall).Where(c => c > 0).ToArray();
        double[] readCosts = samples.Select(s => s.ClockCostPerRead).Where(c => c > 0).ToArray();
        return new OwnHostTime(SampleSummary.Of(dispatch).Median, SampleSummary.Of(combine).Median, split?.Routing ?? 0, split?.RoutingReadBack,
            Median(managedDispatch), Median(managedCombine), Median(clockCosts), ManagedDispatchParts.Of(samples), Median(readCosts));
    }

    private static double[] Pooled(IReadOnlyList<RankSamples> samples, System.Func<RankSamples, Dictionary<BenchOperation, List<double>>> set, BenchOperation operation) =>
        samples.SelectMany(s => set(s).GetValueOrDefault(operation) ?? []).ToArray();

    private static double? Median(double[] values) => values.Length == 0 ? null : SampleSummary.Of(values).Median;
}
