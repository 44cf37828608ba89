using System;

namespace Ep;

/// <summary>
/// What the experts of a captured LowLatency step see (<see cref="EpLayerRuntime.CaptureStep"/>): the received rows
/// in their fixed expert groups, the device counts of each group and the buffer their output goes to, for expert code
/// that enqueues its work on <see cref="Stream"/>.
/// </summary>
public sealed class EpStepRows
{
    internal EpStepRows(DeviceTensor<BFloat16> tokens, DeviceTensor<int> expertCounts, DeviceTensor<BFloat16> output, int groupRows, IntPtr stream)
    {
        Tokens = tokens;
        Output = output;
        ExpertCounts = expertCounts;
        GroupRows = groupRows;
        Stream = stream;
    }

    /// <summary>
    /// [L × GroupRows, H] received rows: local expert e's rows start at e × <see cref="GroupRows"/>, the first
    /// ExpertCounts[e] of them real, the rest zero (as a LowLatency Dispatch delivers them).
    /// </summary>
    public DeviceTensor<BFloat16> Tokens { get; }

    /// <summary>
    /// [L × GroupRows, H], laid out as <see cref="Tokens"/>: the buffer Combine reads. Experts that write their output
    /// here and return it are combined without a copy (any other tensor returned is first copied here, every row). Only
    /// each group's first ExpertCounts[e] rows are read; the rest may hold anything.
    /// </summary>
    public DeviceTensor<BFloat16> Output { get; }

    /// <summary>
    /// [L] rows per local expert, in device memory: written by the step itself, so expert code reads them on the
    /// device (a host read inside a captured step would see the capture's moment, not the replay's).
    /// </summary>
    public DeviceTensor<int> ExpertCounts { get; }

    /// <summary>Rows of each local expert's group: Ranks × MaxTokensPerRank.</summary>
    public int GroupRows { get; }

    /// <summary>
    /// The <c>CUstream</c> the step runs on; expert work enqueued here is part of the step (and of its CUDA graph). Zero
    /// on the CPU Reference engine, where the experts compute on the host.
    /// </summary>
    public IntPtr Stream { get; }
}
