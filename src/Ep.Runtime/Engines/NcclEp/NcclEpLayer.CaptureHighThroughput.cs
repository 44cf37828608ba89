using System;
using Ep.Engines.Staged;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

internal sealed unsafe partial class NcclEpLayer
{
    /// <summary>
    /// HighThroughput: the graph cannot size anything by a step's counts, so every kernel after NCCL EP is launched for
    /// the receive capacity and reads the step's real row count on the device — the total ncclEpUpdateHandle writes
    /// into <c>layout_info</c> (ExpertMajor: with the per-expert counts and the groups' offsets). Flat then counts and
    /// permutes into expert-major rows; ExpertMajor hands the experts NCCL EP's rows as they arrived. A forward step's
    /// experts write into the layer's expert-output-gradient buffer (a forward step does not use it), which Unpermute
    /// reads. A training step (<paramref name="backward"/>) goes on from the combined rows in the same graph —
    /// CombineBackward, UnpermuteBackward, the experts' backward, PermuteBackward, DispatchBackward — and its experts'
    /// output gets a buffer of the step's own, since UnpermuteBackward writes the expert-output gradient. The handle update
    /// runs only when some rank's routing changed, where the driver allows it (NcclEpLayer.CapturedHandle).
    /// </summary>
    private NcclEpGraphStep CaptureHighThroughputStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts, EpStepBackward? backward)
    {
        int tokenCount = tokens.Rows;
        int ncclEpTokens = NcclEpTokens(tokenCount);
        RequireDispatchCall(tokens, tokenCount, ncclEpTokens);
        _calls.RequireUpdateHandle(NcclEpTensorInfo.Matrix("topkIdx", NcclDataType.Int64, ncclEpTokens, TopK), new NcclEpLayoutInfoTensors
        {
            // Described as NCCL EP sees them (UpdateHandleWithCounts): 1-D int32 vectors over the layer's device tables.
            ExpertCounters = _shape.ExpertMajor ? NcclEpTensorInfo.Vector("expertCounters", NcclDataType.Int32, _shape.LocalExperts) : null,
            ExpertOffsets = _shape.ExpertMajor ? NcclEpTensorInfo.Vector("expertOffsets", NcclDataType.Int32, _shape.LocalExperts) : null,
            ReceiveTotal = NcclEpTensorInfo.Vector("receivedTotal", NcclDataType.Int32, 1),
        });
        if (backward is not null)
        {
            // The backward-direction calls the graph records, checked as eager CombineBackward and DispatchBackward check them.
            RequireDispatchGradientCall(GradOutputInfo(ncclEpTokens), ncclEpTokens);
            RequireCombineGradientCall(_buffers.GradWeights, ncclEpTokens);
        }

        RunOnceOutsideCapture(backward is not null);
        bool keepHandle = CanKeepHandleInCapture(ncclEpTokens);
        NcclEpLayerBuffers b = _buffers;
        DeviceTensor<BFloat16> expertRows = _shape.ExpertMajor ? b.RecvRows : b.Permuted;
        DeviceTensor<BFloat16>? stepOutput = backward is null ? null : DeviceTensor<BFloat16>.Allocate(_epDevice, expertRows.Rows, Hidden);
        var rows = new EpStepRows(expertRows, b.ExpertCounts, b.ExpertOffsets, stepOutput ?? b.GradExpertOutput, groupRows: 0, Stream);
        DeviceTensor<BFloat16> combined = _views.CombineOutput.Rows(tokenCount);
        try
        {
            return CaptureChecked(topkIdx, topkWeights, tokenCount, ncclEpTokens, keepHandle ? Address(b.HandleState) : 0, (marks, records) =>
            {
                if (keepHandle)
                {
                    UpdateHandleIfRoutingChanged(ncclEpTokens, records);
                }
                else
                {
                    UpdateHandleWithCounts(ncclEpTokens, Stream);
                }

                marks?.RecordInCapture(2, _stream);
                DispatchRows(tokens, ncclEpTokens, b.Sources.CapturedWeights);
                marks?.RecordInCapture(3, _stream);
                ulong received = Address(b.ReceivedTotal);
                _local.PermuteOnDevice(_shape.ReceiveSlots, _shape.LocalExperts, received, Address(b.ExpertCounts));
                marks?.RecordInCapture(NcclEpMarks.BeforeExperts, _stream);
                DeviceTensor<BFloat16> expertOutput = ExpertsOrBalance(experts, rows, ncclEpTokens);
                _local.UnpermuteOnDevice(expertOutput, _shape.ReceiveSlots, received);
                CombineRows(b.Unpermuted, ncclEpTokens, b.Sources.CapturedWeights);
                if (backward is not null)
                {
                    RecordBackward(backward, combined, expertOutput, new EpStepRows(b.GradExpertOutput, b.ExpertCounts, b.ExpertOffsets, stepOutput!, 0, Stream),
                        ncclEpTokens, received);
                }
            }, gradients: backward is null ? null : GradientViews(tokenCount), owned: stepOutput);
        }
        catch
        {
            stepOutput?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A training step's backward, recorded after its Combine: the gradient of the combined rows from the caller's
    /// <see cref="EpStepBackward.OutputGradient"/>, ncclEpDispatch (backward) of it, UnpermuteBackward for the rows that
    /// arrived, the experts' backward on the expert-output gradient, PermuteBackward, and ncclEpCombine (backward) of
    /// the received-row gradients with the weight gradients (zeros when the layer applies no weights, as eager).
    /// </summary>
    private void RecordBackward(EpStepBackward backward, DeviceTensor<BFloat16> combined, DeviceTensor<BFloat16> expertOutput, EpStepRows gradientRows,
        int ncclEpTokens, ulong received)
    {
        NcclEpLayerBuffers b = _buffers;
        DispatchGradientRows(NonNull(backward.OutputGradient(combined)), ncclEpTokens);
        _local.UnpermuteBackwardOnDevice(expertOutput, Address(b.GradFlat), _shape.ReceiveSlots, received);
        _local.PermuteBackwardOnDevice(backward.Experts(gradientRows), _shape.ReceiveSlots, received);
        CombineGradientRows(Address(b.GradReceived), Address(_spec.ApplyWeightsInCombine ? b.GradWeights : b.ZeroWeights), ncclEpTokens);
    }

    /// <summary>A training step's token and weight gradients: views of the layer's DispatchBackward buffers.</summary>
    private EpDispatchGradients GradientViews(int tokenCount) =>
        new(_views.GradTokens.Rows(tokenCount), _spec.ApplyWeightsInCombine ? _views.GradTopkWeights.Rows(tokenCount) : null);

    /// <summary>
    /// <c>ncclEpUpdateHandle</c> that also writes the step's layout to the device: received rows (Flat: tokens;
    /// ExpertMajor: slots with padding) and, ExpertMajor, the rows per local expert (padded to ExpertAlignment) and
    /// where each group starts. Flat counts its experts itself (<see cref="StagedLocalReorder.PermuteOnDevice"/>):
    /// measured on an H100, NCCL EP v0.1 left Flat <c>expert_counters</c> at zero while its received total was right.
    /// </summary>
    private void UpdateHandleWithCounts(int ncclEpTokens, IntPtr stream)
    {
        NcclEpLayerBuffers b = _buffers;
        NcclEpLayoutInfo layout = NcclEpLayoutInfo.Create();
        if (_shape.ExpertMajor)
        {
            layout.ExpertCounters = _descriptors.ExpertCounters.Describe(Address(b.ExpertCounts), [_shape.LocalExperts]);
            layout.ExpertOffsets = _descriptors.ExpertOffsets.Describe(Address(b.ExpertOffsets), [_shape.LocalExperts]);
        }

        layout.ReceiveTotalCounter = _descriptors.ReceiveTotal.Describe(Address(b.ReceivedTotal), [1]);
        NcclException.ThrowIfFailed(NcclEpNative.UpdateHandle(_handle.DangerousGetHandle(),
            _descriptors.TopkIdx.Describe(Address(b.Sources.CapturedIdx), [ncclEpTokens, TopK]), &layout, stream));
    }

    /// <summary>
    /// NCCL EP HT must have updated the handle, dispatched and combined outside any capture before a graph holds those
    /// calls. Measured on an H100 (one rank): a step captured on a fresh layer replays correctly, but the next eager
    /// Dispatch then faults inside ncclEpDispatch (an illegal address, which aborts the process); after one eager step
    /// first, captures and eager steps mix freely. So a layer with no eager exchange yet runs one here: every rank sends
    /// one token to its own first local expert (a step no rank sends in would not call NCCL EP). With
    /// <paramref name="backward"/> (a training step's capture) the backward-direction calls too, for the same reason.
    /// Collective, as CaptureStep is; every rank has run the same exchanges, so all of them do it or none does.
    /// </summary>
    private void RunOnceOutsideCapture(bool backward)
    {
        if (_exchangedOutsideCapture && (!backward || _backwardExchangedOutsideCapture))
        {
            return;
        }

        NcclEpLayerBuffers b = _buffers;
        var ids = new long[TopK];
        Array.Fill(ids, -1L);
        ids[0] = (long)_rank * _shape.LocalExperts;
        NcclEpSourceCopies sources = b.Sources;
        StagedMemory.Upload<long>(ids, Address(sources.CapturedIdx), _stream);
        StagedMemory.Fill(Address(sources.CapturedWeights), 0u, TopK, _stream);
        ForgetHeldRoutingEverywhere();
        UpdateHandle(sources.CapturedIdx, 1);
        DispatchRows(_views.CombineOutput.Rows(1), 1, sources.CapturedWeights);
        CombineRows(b.Unpermuted, 1, sources.CapturedWeights);
        if (backward)
        {
            DispatchGradientRows(Address(b.CombineOutput), 1);
            CombineGradientRows(Address(b.GradReceived), Address(b.ZeroWeights), 1);
            _backwardExchangedOutsideCapture = true;
        }

        _stream.Synchronize();
        _exchangedOutsideCapture = true;
    }

    /// <summary>A replay is about to update the handle from its own copy of the ids: eager Dispatch must update it again.</summary>
    private void ForgetHeldRouting() => _heldRoutingTokens = null;
}
