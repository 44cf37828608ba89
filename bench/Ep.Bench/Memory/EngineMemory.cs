using System;
using Ep.Bench.Engines;

namespace Ep.Bench.Memory;

/// <summary>An engine's measured device memory per rank next to the layer's <c>PlanMemory</c> estimate of it.</summary>
/// <param name="MeasuredBytesPerRank">Device memory in use after creating the layer minus before (cuMemGetInfo, synchronised), ÷ ranks.</param>
/// <param name="PlanMemoryBytesPerRank">
/// The layer's <c>PlanMemory(ranks)</c> figure for this engine (<see cref="EpMemoryPlan.StagedEngineBytes"/> or
/// <see cref="EpMemoryPlan.NcclEpEngineBytes"/>): every buffer it allocates for the layer per rank, NCCL EP's included.
/// </param>
/// <param name="ReceiveBytesPerRank">PlanMemory's receive buffers (<see cref="EpMemoryPlan.TotalBytes"/>), the part warning EP0013 checks at compile time.</param>
internal sealed record EngineMemory(long MeasuredBytesPerRank, long PlanMemoryBytesPerRank, long ReceiveBytesPerRank)
{
    /// <summary>The measured footprint of <paramref name="engine"/> beside the layer's plan.</summary>
    public static EngineMemory For(BenchEngine engine, EpLayerSpec spec, int ranks, long measuredBytesPerRank)
    {
        ArgumentNullException.ThrowIfNull(spec);
        EpMemoryPlan plan = EpLayerMemory.Plan(spec, ranks); // what a generated layer's PlanMemory(ranks) returns
        long? engineBytes = engine == BenchEngine.NcclEp ? plan.NcclEpEngineBytes : plan.StagedEngineBytes;
        return new EngineMemory(measuredBytesPerRank, engineBytes ?? throw new InvalidOperationException($"PlanMemory has no {engine} figure."),
            plan.TotalBytes);
    }

    /// <summary>Measured ÷ PlanMemory's figure for the engine: the issue asks for agreement within 10 %.</summary>
    public double MeasuredToPlanMemory => PlanMemoryBytesPerRank > 0 ? (double)MeasuredBytesPerRank / PlanMemoryBytesPerRank : double.NaN;

    /// <summary>Whether the measured footprint is within 10 % of PlanMemory's figure.</summary>
    public bool WithinTenPercent => Math.Abs(MeasuredToPlanMemory - 1.0) <= 0.10;
}
