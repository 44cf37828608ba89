using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Timing;

namespace Ep.Bench.Metrics;

/// <summary>
/// <c>--prepared</c>: what each step's PrepareDispatch costs the host, outside every timed span — its wall time and the
/// managed bytes the calling thread allocated in it, medians over the host pass (all ranks pooled).
/// </summary>
internal sealed record PrepareDispatchCost(SampleSummary Host, SampleSummary Allocated)
{
    /// <summary>The summaries, or null when no step prepared its routing.</summary>
    public static PrepareDispatchCost? Of(IReadOnlyList<RankSamples> samples)
    {
        double[] host = samples.SelectMany(s => s.PrepareHost).ToArray();
        double[] allocated = samples.SelectMany(s => s.PrepareAllocated).ToArray();
        return host.Length == 0 ? null : new PrepareDispatchCost(SampleSummary.Of(host), SampleSummary.Of(allocated));
    }
}
