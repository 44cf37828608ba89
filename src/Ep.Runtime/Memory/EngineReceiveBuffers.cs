using System;

namespace Ep;

/// <summary>
/// The receive buffers each GPU engine allocates per rank — the buffers Dispatch writes, what <c>PlanMemory</c> /
/// <see cref="EpMemoryPlanner"/> counts — as <see cref="Engines.Staged.StagedLayerBuffers"/> and
/// <see cref="Engines.NcclEp.NcclEpLayerBuffers"/> size them. Shown per engine by <c>ep plan</c> and beside the measured
/// engine memory by the benchmark. Everything else an engine allocates (permute, backward, staging) is in the engines'
/// full plans (<see cref="Engines.Staged.StagedMemoryPlan"/>, <see cref="Engines.NcclEp.NcclEpMemoryPlan"/>).
/// </summary>
internal static class EngineReceiveBuffers
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
