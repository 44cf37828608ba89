using System;

namespace Ep.Bench.Memory;

/// <summary>An engine's device memory per rank next to the layer's plan.</summary>
/// <param name="MeasuredBytesPerRank">Device memory in use after creating the layer minus before (cuMemGetInfo, synchronised), ÷ ranks.</param>
/// <param name="ReceiveBytesPerRank">The engine's receive buffers alone (<see cref="EngineReceiveBuffers"/>).</param>
/// <param name="PlanBytesPerRank"><c>EpMemoryPlanner.Plan(spec, ranks).TotalBytes</c>.</param>
internal sealed record EngineMemory(long MeasuredBytesPerRank, long ReceiveBytesPerRank, long PlanBytesPerRank)
{
    /// <summary>Measured ÷ plan: expected above 1, the plan counts only the receive buffers.</summary>
    public double MeasuredToPlan => PlanBytesPerRank > 0 ? (double)MeasuredBytesPerRank / PlanBytesPerRank : double.NaN;

    /// <summary>Receive buffers (computed from the spec, not measured) ÷ plan: how much of the engine the plan describes.</summary>
    public double ReceiveToPlan => PlanBytesPerRank > 0 ? (double)ReceiveBytesPerRank / PlanBytesPerRank : double.NaN;
}
