using System;

namespace Ep;

/// <summary>
/// What the experts of a captured step see (<see cref="EpLayerRuntime.CaptureStep"/>): the received rows grouped by
/// local expert, each group's device count and first row, and the buffer their output goes to, for expert code that
/// enqueues its work on <see cref="Stream"/>.
/// </summary>
public sealed class EpStepRows
{
    internal EpStepRows(DeviceTensor<BFloat16> tokens, DeviceTensor<int> expertCounts, DeviceTensor<int> expertOffsets, DeviceTensor<BFloat16> output,
        int groupRows, IntPtr stream)
    {
        Tokens = tokens;
        Output = output;
        ExpertCounts = expertCounts;
        ExpertOffsets = expertOffsets;
        GroupRows = groupRows;
        Stream = stream;
    }

    /// <summary>
    /// The received rows in expert-major order: local expert e's rows are [ExpertOffsets[e], ExpertOffsets[e] +
    /// ExpertCounts[e]). LowLatency: [L × GroupRows, H], fixed groups (offset e × GroupRows), the rows past each count
    /// zero. HighThroughput: the layer's receive capacity in rows (a graph cannot size them by one step's routing);
    /// Flat, what Permute produces; ExpertMajor, NCCL EP's rows, pad rows zero. Rows past the last group are stale.
    /// </summary>
    public DeviceTensor<BFloat16> Tokens { get; }

    /// <summary>
    /// Shaped as <see cref="Tokens"/>: where the experts' output goes. Experts that write their output here and return
    /// it cost no copy (LowLatency: this is the buffer Combine reads; any other tensor returned is first copied here,
    /// every row; HighThroughput: Unpermute reads whatever tensor is returned). Only the groups' rows are read.
    /// </summary>
    public DeviceTensor<BFloat16> Output { get; }

    /// <summary>
    /// [L] rows per local expert, in device memory: written by the step itself, so expert code reads them on the
    /// device (a host read inside a captured step would see the capture's moment, not the replay's). HighThroughput
    /// ExpertMajor on the NcclEp engine: padded to ExpertAlignment as NCCL EP counts them (the pad rows are zero and no
    /// token's Combine reads them); everywhere else the real (token, expert) pairs.
    /// </summary>
    public DeviceTensor<int> ExpertCounts { get; }

    /// <summary>[L] first row of each local expert's group in <see cref="Tokens"/>, in device memory (written by the step).</summary>
    public DeviceTensor<int> ExpertOffsets { get; }

    /// <summary>
    /// LowLatency: rows of each local expert's fixed group, Ranks × MaxTokensPerRank. HighThroughput: 0 (the groups are
    /// packed; <see cref="ExpertOffsets"/> says where each starts).
    /// </summary>
    public int GroupRows { get; }

    /// <summary>
    /// The <c>CUstream</c> the step runs on; expert work enqueued here is part of the step (and of its CUDA graph). Zero
    /// on the CPU Reference engine, where the experts compute on the host.
    /// </summary>
    public IntPtr Stream { get; }
}
