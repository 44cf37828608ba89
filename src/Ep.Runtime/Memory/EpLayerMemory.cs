using Ep.Engines.NcclEp;
using Ep.Engines.Staged;

namespace Ep;

/// <summary>
/// A layer's memory plan with each GPU engine's whole footprint: what the generated <c>PlanMemory</c> returns. The
/// receive rows and bytes are <see cref="EpMemoryPlanner"/>'s (the formula warning EP0013 checks at compile time); the
/// engine totals count every buffer the Staged and NcclEp engines allocate for one layer instance per rank (NcclEp
/// with NCCL EP's group and handle memory), the figures the benchmark checks against the device's measured use.
/// </summary>
public static class EpLayerMemory
{
    /// <summary>Plans <paramref name="spec"/> at <paramref name="ranks"/> ranks, engine footprints included.</summary>
    /// <exception cref="System.ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="ranks"/> is not positive.</exception>
    public static EpMemoryPlan Plan(EpLayerSpec spec, int ranks) => EpMemoryPlanner.Plan(spec, ranks) with
    {
        StagedEngineBytes = StagedMemoryPlan.Plan(spec, ranks).TotalBytes,
        NcclEpEngineBytes = NcclEpMemoryPlan.Plan(spec, ranks).TotalBytes,
    };
}
