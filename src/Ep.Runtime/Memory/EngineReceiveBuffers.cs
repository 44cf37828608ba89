namespace Ep;

/// <summary>
/// The receive buffers each GPU engine allocates per rank — the buffers Dispatch writes, what <c>PlanMemory</c> /
/// <see cref="EpMemoryPlanner"/> counts — read from the engines' full plans (<see cref="Engines.Staged.StagedMemoryPlan"/>,
/// <see cref="Engines.NcclEp.NcclEpMemoryPlan"/>), which mirror <see cref="Engines.Staged.StagedLayerBuffers"/> and
/// <see cref="Engines.NcclEp.NcclEpLayerBuffers"/>. Shown per engine by <c>ep plan</c> and beside the measured engine
/// memory by the benchmark.
/// </summary>
internal static class EngineReceiveBuffers
{
    /// <summary>
    /// Staged: Flat, RecvRows [C, H] bf16 + RecvIdx [C, K] int64 + RecvWeights [C, K] fp32 at the Flat capacity C
    /// (LowLatency: at least R × MaxTokensPerRank); expert-major also LayoutRows [M, H] + LayoutWeights [M] +
    /// RowSource and RowSlot [M] int32 (the Flat rows are then its staging area).
    /// </summary>
    public static long Staged(EpLayerSpec spec, int ranks) => Engines.Staged.StagedMemoryPlan.Plan(spec, ranks).ReceiveBytes;

    /// <summary>
    /// NcclEp: NCCL EP's dispatch outputs at its slot count S — RecvRows [S, H] bf16, Flat RecvIdx [S, K] int64 and
    /// RecvWeights [S, K] fp32; expert-major RecvWeights [S] and RowSource [S] int32.
    /// </summary>
    public static long NcclEp(EpLayerSpec spec, int ranks) => Engines.NcclEp.NcclEpMemoryPlan.Plan(spec, ranks).ReceiveBytes;
}
