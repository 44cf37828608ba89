using System;

namespace Ep.Bench.Memory;

/// <summary>
/// The receive buffers an engine allocates per rank — the buffers Dispatch writes, the ones <c>PlanMemory</c> /
/// <see cref="EpMemoryPlanner"/> counts — mirrored from the engines' buffer classes (StagedLayerBuffers,
/// NcclEpLayerBuffers). Everything else an engine allocates (permute, backward and staging buffers) is outside the plan.
/// </summary>
internal static class ReceiveBuffers
{
    /// <summary>
    /// Staged: Flat, RecvRows [C, H] bf16 + RecvIdx [C, K] int64 + RecvWeights [C, K] fp32 at the Flat capacity C
    /// (LowLatency: at least R × MaxTokensPerRank); expert-major also LayoutRows [M, H] + LayoutWeights [M] +
    /// RowSource and RowSlot [M] int32 (the Flat rows are then its staging area).
    /// </summary>
    public static long Staged(EpLayerSpec spec, int ranks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int h = spec.HiddenSize, k = spec.TopK;
        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        bool expertMajor = lowLatency || spec.Layout == EpLayout.ExpertMajor;
        long capacity = lowLatency ? Math.Max(spec.RecvCapacity(ranks), (long)ranks * spec.MaxTokensPerRank) : spec.RecvCapacity(ranks);
        long flat = capacity * (2L * h + (long)k * (sizeof(long) + sizeof(float)));
        if (!expertMajor)
        {
            return flat;
        }

        long layoutRows = lowLatency ? spec.LowLatencyCapacity(ranks) : spec.ExpertMajorCapacity(ranks);
        return flat + layoutRows * (2L * h + sizeof(float) + 2 * sizeof(int));
    }

    /// <summary>
    /// NcclEp: NCCL EP's dispatch outputs at its slot count S — RecvRows [S, H] bf16, Flat RecvIdx [S, K] int64 and
    /// RecvWeights [S, K] fp32; expert-major RecvWeights [S] and RowSource [S] int32.
    /// </summary>
    public static long NcclEp(EpLayerSpec spec, int ranks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int h = spec.HiddenSize, k = spec.TopK;
        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        bool expertMajor = lowLatency || spec.Layout == EpLayout.ExpertMajor;
        long slots = lowLatency ? spec.LowLatencyCapacity(ranks) : expertMajor ? spec.ExpertMajorCapacity(ranks) : spec.RecvCapacity(ranks);
        return expertMajor
            ? slots * (2L * h + sizeof(float) + sizeof(int))
            : slots * (2L * h + (long)k * (sizeof(long) + sizeof(float)));
    }
}

/// <summary>An engine's device memory per rank next to the layer's plan.</summary>
/// <param name="MeasuredBytesPerRank">Device memory in use after creating the layer minus before (cuMemGetInfo, synchronised), ÷ ranks.</param>
/// <param name="ReceiveBytesPerRank">The engine's receive buffers alone (<see cref="ReceiveBuffers"/>).</param>
/// <param name="PlanBytesPerRank"><c>EpMemoryPlanner.Plan(spec, ranks).TotalBytes</c>.</param>
internal sealed record EngineMemory(long MeasuredBytesPerRank, long ReceiveBytesPerRank, long PlanBytesPerRank)
{
    /// <summary>Measured ÷ plan: expected above 1, the plan counts only the receive buffers.</summary>
    public double MeasuredToPlan => PlanBytesPerRank > 0 ? (double)MeasuredBytesPerRank / PlanBytesPerRank : double.NaN;

    /// <summary>Receive buffers (computed from the spec, not measured) ÷ plan: how much of the engine the plan describes.</summary>
    public double ReceiveToPlan => PlanBytesPerRank > 0 ? (double)ReceiveBytesPerRank / PlanBytesPerRank : double.NaN;
}
