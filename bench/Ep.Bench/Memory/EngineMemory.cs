using System;
using Ep.Bench.Engines;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;

namespace Ep.Bench.Memory;

/// <summary>An engine's device memory per rank next to the engine's full plan and the layer's <c>PlanMemory</c>.</summary>
/// <param name="MeasuredBytesPerRank">Device memory in use after creating the layer minus before (cuMemGetInfo, synchronised), ÷ ranks.</param>
/// <param name="EnginePlanBytesPerRank">Every buffer the engine allocates for the layer per rank, NCCL EP's included (<see cref="EngineMemoryPlan"/>).</param>
/// <param name="ReceiveBytesPerRank">The engine's receive buffers alone (<see cref="EngineMemoryPlan.ReceiveBytes"/>).</param>
/// <param name="PlanBytesPerRank"><c>EpMemoryPlanner.Plan(spec, ranks).TotalBytes</c>: Dispatch's receive buffers.</param>
internal sealed record EngineMemory(long MeasuredBytesPerRank, long EnginePlanBytesPerRank, long ReceiveBytesPerRank, long PlanBytesPerRank)
{
    /// <summary>The measured footprint of <paramref name="engine"/> beside its plans.</summary>
    public static EngineMemory For(BenchEngine engine, EpLayerSpec spec, int ranks, long measuredBytesPerRank)
    {
        ArgumentNullException.ThrowIfNull(spec);
        bool ncclEp = engine == BenchEngine.NcclEp;
        EngineMemoryPlan plan = ncclEp ? NcclEpMemoryPlan.Plan(spec, ranks) : StagedMemoryPlan.Plan(spec, ranks);
        return new EngineMemory(measuredBytesPerRank, plan.TotalBytes, plan.ReceiveBytes, EpMemoryPlanner.Plan(spec, ranks).TotalBytes);
    }

    /// <summary>Measured ÷ the engine's plan: the issue asks for agreement within 10 %.</summary>
    public double MeasuredToEnginePlan => EnginePlanBytesPerRank > 0 ? (double)MeasuredBytesPerRank / EnginePlanBytesPerRank : double.NaN;

    /// <summary>Whether the measured footprint is within 10 % of the engine's plan.</summary>
    public bool WithinTenPercent => Math.Abs(MeasuredToEnginePlan - 1.0) <= 0.10;

    /// <summary>Measured ÷ PlanMemory: expected above 1, PlanMemory counts only the receive buffers.</summary>
    public double MeasuredToPlan => PlanBytesPerRank > 0 ? (double)MeasuredBytesPerRank / PlanBytesPerRank : double.NaN;

    /// <summary>Receive buffers (computed from the spec, not measured) ÷ PlanMemory.</summary>
    public double ReceiveToPlan => PlanBytesPerRank > 0 ? (double)ReceiveBytesPerRank / PlanBytesPerRank : double.NaN;
}
