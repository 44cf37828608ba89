using System;
using System.Globalization;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;

namespace Ep.Engines.NcclEp;

internal sealed unsafe partial class NcclEpLayer
{
    /// <summary>
    /// Null when the step can be one CUDA graph: always for LowLatency (fixed groups); for HighThroughput when its
    /// receive buffers are dropless (RecvCapacityPerRank unset or at least Ranks × MaxTokensPerRank), because inside a
    /// graph NCCL EP copies its whole slot count instead of waiting for its receive count, and nothing can check a
    /// step's counts on the host before it traps on an overflow.
    /// </summary>
    public string? WhyNotCapturable => CaptureRefusal(_spec, Ranks);

    /// <summary>See <see cref="WhyNotCapturable"/>: the decision for <paramref name="spec"/> at <paramref name="ranks"/> ranks.</summary>
    internal static string? CaptureRefusal(EpLayerSpec spec, int ranks)
    {
        long dropless = (long)ranks * spec.MaxTokensPerRank, capacity = spec.RecvCapacity(ranks);
        return spec.Algorithm == EpAlgorithm.LowLatency || capacity >= dropless
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"RecvCapacityPerRank = {capacity} is below Ranks × MaxTokensPerRank = {dropless}: a step could overflow NCCL EP HT's receive buffer, which it traps on (aborting the process), and inside a CUDA graph no host check can refuse such a step first; eager Dispatch checks every step's counts");
    }

    /// <summary>
    /// Records a step into one CUDA graph: the device routing check (<c>ep_sanitize_routing</c>: bad entries become −1
    /// before NCCL EP sees them), an AllGather of every rank's error records, ncclEpUpdateHandle (HighThroughput: only
    /// when some rank's routing differs from the handle's, where the driver allows it; see NcclEpLayer.CapturedHandle),
    /// ncclEpDispatch, the layout from counts that exist only on the device, the experts' work, ncclEpCombine. Nothing in
    /// it waits for the host: once each row names an expert at most once, no rank receives more than the buffers hold,
    /// so no count has to come back before rows move.
    /// </summary>
    public IStepReplay CaptureStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts, EpStepBackward? backward)
    {
        _device.MakeCurrent();
        if (_shape.LowLatency)
        {
            // EpLayerRuntime refuses a LowLatency training step first (NCCL EP LL is inference-only).
            return backward is null
                ? CaptureLowLatencyStep(tokens, topkIdx, topkWeights, experts)
                : throw new NotSupportedException("NCCL EP LowLatency has no backward pass.");
        }

        return CaptureHighThroughputStep(tokens, topkIdx, topkWeights, experts, backward);
    }

    /// <summary>
    /// LowLatency: NCCL EP's fixed groups are the experts' rows, its LL expert counters their counts, and the Combine
    /// buffer their output (LL Combine applies the weights, so Unpermute would only copy).
    /// </summary>
    private NcclEpGraphStep CaptureLowLatencyStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts)
    {
        int tokenCount = tokens.Rows;
        int ncclEpTokens = NcclEpTokens(tokenCount);
        RequireDispatchCall(tokens, tokenCount, ncclEpTokens);
        NcclEpLayerBuffers b = _buffers;
        int groupRows = _shape.LowLatencyGroupRows;
        // LowLatency's slot count is L × GroupRows: the whole receive buffer, and the whole buffer Combine reads.
        var rows = new EpStepRows(b.RecvRows, b.ExpertCounters, b.ExpertOffsets, b.Unpermuted, groupRows, Stream);

        // The groups' first rows never change in LowLatency: uploaded once, outside the graph (eager Dispatch uploads the same).
        var offsets = new int[_shape.LocalExperts];
        for (int e = 0; e < offsets.Length; e++)
        {
            offsets[e] = e * groupRows;
        }

        // The tables' page-locked staging array may still feed the last eager Dispatch's upload: let it finish first.
        _stream.Synchronize();
        b.Layout.Upload(offsets, new int[offsets.Length], _stream);
        using CudaStreamBranch? beside = CheckClearsPadding ? null : new CudaStreamBranch(_stream);
        return CaptureChecked(topkIdx, topkWeights, tokenCount, ncclEpTokens, heldRows: 0, (marks, records) =>
        {
            UpdateHandle(b.Sources.CapturedIdx, ncclEpTokens);
            marks?.RecordInCapture(2, _stream);

            // Across ranks the routing check counted what every rank keeps per expert, so the group padding past this
            // step's counts is cleared beside ncclEpDispatch, which writes only the rows before them. (At one rank the
            // check's own launch cleared it: see CheckRoutingInCapture.)
            if (beside is not null)
            {
                beside.Fork();
                GatheredExpertCounts counts = records.CountsFor(firstExpert: _rank * _shape.LocalExperts);
                _padding!.ClearPastCounts(LowLatencyGroupBuffer.Received, Address(b.RecvRows), counts, beside.Stream);
            }

            DispatchRows(tokens, ncclEpTokens, b.Sources.CapturedWeights);
            marks?.RecordInCapture(3, _stream);
            beside?.Join();
            marks?.RecordInCapture(NcclEpMarks.BeforeExperts, _stream);
            CombineRows(ExpertsOrBalance(experts, rows, ncclEpTokens), ncclEpTokens, b.Sources.CapturedWeights);
        }, BeforeLowLatencyReplay);
    }

    /// <summary>
    /// Each LowLatency replay's host side: as every replay's (<see cref="ForgetHeldRouting"/>), and the experts may write
    /// any row of the Combine buffer (EpStepRows.Output), which eager Unpermute also writes: its padding is forgotten
    /// before that buffer's next eager clear, not by a node in the graph.
    /// </summary>
    private void BeforeLowLatencyReplay()
    {
        ForgetHeldRouting();
        _padding!.ForgetBeforeNextClear(LowLatencyGroupBuffer.Unpermuted);
    }

    /// <summary>
    /// What every captured step shares: a graph that starts with the device routing check (the sanitized ids and weights
    /// into the layer's own tables, this rank's error records, compared with the handle's ids when
    /// <paramref name="heldRows"/> names the layer's handle state; LowLatency: with the counts kept per expert) and the
    /// gather of every rank's records, then runs <paramref name="rest"/> (given the records), which records boundaries 2
    /// to <see cref="NcclEpMarks.BeforeExperts"/> of the marks it is given; the last boundary follows it.
    /// <paramref name="beforeReplay"/>: the host's part of each replay (<see cref="ForgetHeldRouting"/> when null).
    /// </summary>
    private NcclEpGraphStep CaptureChecked(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights, int tokenCount, int ncclEpTokens, ulong heldRows,
        Action<NcclEpMarks?, NcclEpStepRecords> rest, Action? beforeReplay = null, EpDispatchGradients? gradients = null, IDisposable? owned = null)
    {
        NcclEpLayerBuffers b = _buffers;
        var records = new NcclEpStepRecords(_epDevice, Ranks, StagedKernels.EntryBlocks(ncclEpTokens, TopK), _spec.Experts, TopK, _stream,
            countExperts: _shape.LowLatency && !CheckClearsPadding);
        try
        {
            NcclEpMarks? marks = CaptureMarks;
            CudaGraph graph = CudaGraph.Capture(_stream, () =>
            {
                marks?.RecordInCapture(0, _stream);
                CheckRoutingInCapture(topkIdx, topkWeights, tokenCount, ncclEpTokens, heldRows, records);
                records.EnqueueGather(_communicator);
                marks?.RecordInCapture(1, _stream);
                rest(marks, records);
                marks?.RecordInCapture(NcclEpMarks.StepBoundaries - 1, _stream);
            });
            return new NcclEpGraphStep(graph, _stream, records, _views.CombineOutput.Rows(tokenCount), beforeReplay ?? ForgetHeldRouting, gradients, owned);
        }
        catch
        {
            records.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The captured step's routing check into the layer's own tables (<c>ep_sanitize_routing</c>). A LowLatency step at
    /// one rank clears its groups' padding in the same launch, since every row it receives comes from its own ids (see
    /// <c>ep_sanitize_routing_clearing_groups</c>: a separate clear beside ncclEpDispatch held that back).
    /// </summary>
    private void CheckRoutingInCapture(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights, int tokenCount, int ncclEpTokens, ulong heldRows,
        NcclEpStepRecords records)
    {
        NcclEpLayerBuffers b = _buffers;
        if (CheckClearsPadding)
        {
            _kernels.SanitizeRoutingClearingGroups(Address(topkIdx), Address(topkWeights), tokenCount, ncclEpTokens, TopK, Address(b.Sources.CapturedIdx),
                Address(b.Sources.CapturedWeights), records.Records, _shape.LocalExperts, _shape.LowLatencyGroupRows,
                _padding!.FilledRowsForClear(LowLatencyGroupBuffer.Received), Address(b.RecvRows));
            return;
        }

        _kernels.SanitizeRouting(Address(topkIdx), Address(topkWeights), tokenCount, ncclEpTokens, TopK, Address(b.Sources.CapturedIdx),
            Address(b.Sources.CapturedWeights), records.Records, heldRows, records.Counts);
    }

    /// <summary>
    /// Whether a captured LowLatency step's routing check also clears its groups' padding (at one rank: every row it
    /// receives comes from its own ids); otherwise the check counts per expert and the clear reads every rank's gathered
    /// counts on a branch beside ncclEpDispatch.
    /// </summary>
    private bool CheckClearsPadding => _shape.LowLatency && Ranks == 1 && !ClearsPaddingFromGatheredCounts;

    /// <summary>
    /// Test hook: a one-rank layer's captured LowLatency steps clear the padding as several ranks do (from the gathered
    /// counts, beside ncclEpDispatch), so that path runs on one GPU too. Set before CaptureStep.
    /// </summary>
    internal bool ClearsPaddingFromGatheredCounts { get; set; }

    /// <summary>Set by the benchmark before it captures a step: events the graph records at its parts' boundaries; null in normal use.</summary>
    internal NcclEpMarks? CaptureMarks { get; set; }

    /// <summary>
    /// The experts' output. If they throw, a Combine is still recorded (the capture is then discarded, so nothing runs):
    /// NCCL EP LL flips its double-buffer index on the host at every dispatch and every combine, and a dispatch recorded
    /// without its combine would leave this rank's index out of step with its peers'. Not when the experts broke the
    /// capture itself (a synchronising call on the stream, say): NCCL EP must not launch into an invalidated capture.
    /// </summary>
    private DeviceTensor<BFloat16> ExpertsOrBalance(Func<EpStepRows, DeviceTensor<BFloat16>> experts, EpStepRows rows, int ncclEpTokens)
    {
        try
        {
            return experts(rows);
        }
        catch when (CudaGraph.IsCapturing(_stream))
        {
            CombineRows(_buffers.Unpermuted, ncclEpTokens, _buffers.Sources.CapturedWeights);
            throw;
        }
    }
}
