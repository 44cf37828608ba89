using System;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.Nccl;
using Ep.Interop.Nvrtc;

namespace Ep.Engines.NcclEp;

/// <summary>
/// A captured HighThroughput step keeps NCCL EP's handle while every rank's routing repeats. <c>ncclEpUpdateHandle</c>
/// (a collective of ≈ 180 µs on the stream at 4096 tokens) sits in the graph's IF node; <c>ep_sanitize_routing</c>
/// compares each rank's sanitized ids with the ones the handle was built from (the captured steps' copy of the ids,
/// <c>Sources.CapturedIdx</c>, which it overwrites), and <c>ep_decide_handle_update</c> opens the node when any rank's
/// ids differ, from the records every rank gathered — so all ranks rebuild, or none does. <c>HandleState[0]</c> says how
/// many rows of that copy the handle holds; anything that changes the handle or those ids outside a graph (eager
/// Dispatch, the warm-up exchange) sets it to 0 first, so the next replay rebuilds.
/// </summary>
internal sealed unsafe partial class NcclEpLayer
{
    // Null until the first captured HighThroughput step asks; then whether every rank compiled the setting kernel and
    // its driver accepted NCCL EP's handle update as the body of a conditional node (decided once per layer: every
    // graph of a layer is alike).
    private bool? _keepsHandleInCapture;
    private NcclEpHandleKernel? _handleKernel;

    /// <summary>Why this layer's captured steps rebuild NCCL EP's handle every replay; null when they keep it while the routing repeats, or before the first capture.</summary>
    internal string? WhyCapturedStepsRebuildHandle { get; private set; }

    /// <summary>HighThroughput: whether a replay rebuilds NCCL EP's handle every time or only when the routing changed (and why).</summary>
    public string? CapturedStepNote => _shape.LowLatency || _keepsHandleInCapture is null
        ? null
        : WhyCapturedStepsRebuildHandle is { } why
            ? "NCCL EP's handle is rebuilt every replay: " + why
            : "NCCL EP's handle is rebuilt only in replays whose routing changed on some rank (decided on the device)";

    /// <summary>
    /// Test and benchmark hook: how many replays of this layer's captured HighThroughput steps rebuilt the handle
    /// (waits for the stream).
    /// </summary>
    internal long CapturedHandleRebuilds
    {
        get
        {
            _stream.Synchronize();
            return _shape.LowLatency ? 0 : _buffers.HandleState.ToArray()[1];
        }
    }

    /// <summary>
    /// Whether a captured step may put the handle update in a conditional node: the setting kernel must compile, and the
    /// driver must accept what NCCL EP records for the update there (kernels, memsets and copies only; NCCL's own
    /// collectives across GPUs may not qualify), on every rank. Tried once, outside any capture, by instantiating a
    /// graph that holds just that node (nothing runs); collective, as CaptureStep is. A refusal is not an error: the
    /// layer's graphs then rebuild the handle every replay.
    /// </summary>
    private bool CanKeepHandleInCapture(int ncclEpTokens)
    {
        if (_keepsHandleInCapture is bool known)
        {
            return known;
        }

        string? refusal = null;
        try
        {
            _handleKernel = NcclEpHandleKernel.Load(_device);
            CudaConditionalCapture.TryInstantiate(_device.Context, stream => UpdateHandleWithCounts(ncclEpTokens, stream));
        }
        catch (Exception e) when (e is CudaException or NcclException or NvrtcException)
        {
            refusal = e.Message;
        }

        // A node on some ranks only would leave the others waiting inside the update's collective.
        bool everyRank = Array.TrueForAll(_routing.GatherHost([refusal is null ? 1L : 0L]), vote => vote == 1);
        WhyCapturedStepsRebuildHandle = everyRank
            ? null
            : "the handle update cannot sit in a CUDA conditional node on "
              + (refusal is null ? "another rank (every rank must agree)" : "this rank: " + refusal);
        _keepsHandleInCapture = everyRank;
        return everyRank;
    }

    /// <summary>
    /// Records the choice and the IF node: <c>ep_decide_handle_update</c> reads every rank's sanitize records, then
    /// <c>ncclEpUpdateHandle</c> (with the layout it writes) runs only when one of them asks for it.
    /// </summary>
    private void UpdateHandleIfRoutingChanged(int ncclEpTokens, NcclEpStepRecords records)
    {
        IntPtr context = _device.Context;
        ulong conditional = CudaConditionalCapture.CreateHandle(_stream, context);
        _handleKernel!.Decide(_stream, records.Gathered, records.GatheredRecords, Address(_buffers.HandleState), ncclEpTokens, conditional);
        CudaConditionalCapture.RecordIf(_stream, conditional, context, stream => UpdateHandleWithCounts(ncclEpTokens, stream));
    }

    /// <summary>
    /// The layer's copy of the ids is about to be rewritten, and the handle rebuilt, outside a graph: neither the next
    /// eager Dispatch (<see cref="ForgetHeldRouting"/>, all a replay needs) nor the next replay may keep the handle on
    /// the strength of the old copy (the device state is reset stream-ordered, so a replay already enqueued still sees
    /// the state it left).
    /// </summary>
    private void ForgetHeldRoutingEverywhere()
    {
        ForgetHeldRouting();

        // Only a layer whose graphs keep the handle reads the device state (no launch for the others).
        if (_keepsHandleInCapture == true)
        {
            // HandleState[0], an int64: two 32-bit words.
            StagedMemory.Fill(Address(_buffers.HandleState), 0u, 2, _stream);
        }
    }
}
