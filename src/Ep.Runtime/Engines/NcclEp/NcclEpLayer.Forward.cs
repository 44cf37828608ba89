using System.Diagnostics;
using Ep.Engines.Staged;
using Ep.Interop;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

internal sealed unsafe partial class NcclEpLayer
{
    /// <summary>Flat: copies each received row to its experts' groups. Expert-major layouts are already permuted: a view.</summary>
    public EpPermutedBatch Permute(EpDispatchResult dispatched)
    {
        _device.MakeCurrent();
        return _local.Permute(dispatched);
    }

    /// <summary>As in the Staged engine: Flat sums a row's expert outputs (weighted when asked); expert-major scales or copies.</summary>
    public DeviceTensor<BFloat16> Unpermute(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput)
    {
        _device.MakeCurrent();
        return _local.Unpermute(expertOutput);
    }

    /// <summary>
    /// Host wall time of <c>ncclEpCombine</c> in the latest Combine, in <see cref="Stopwatch"/> ticks (0 for an idle
    /// step, and while the benchmark's clock is off: <see cref="NativeCallClock.Read"/>): the benchmark subtracts it
    /// from the call's time to report the host time Ep itself adds.
    /// </summary>
    internal long LastNativeCombineTicks { get; private set; }

    /// <summary>NCCL EP's combine: an unweighted sum of each token's rows (HT), or weighted by the source's routing weights (LL).</summary>
    public DeviceTensor<BFloat16> Combine(DeviceTensor<BFloat16> combineInput)
    {
        _device.MakeCurrent();
        NcclEpLayerBuffers b = _buffers;
        LastNativeCombineTicks = 0;
        Poison(b.CombineOutput);
        if (_idle)
        {
            Clear(b.CombineOutput);
            return _views.CombineOutput.Rows(_tokens);
        }

        LastNativeCombineTicks = CombineRows(combineInput, StepNcclEpTokens, b.Sources.Weights);
        _exchangedOutsideCapture = true;
        return _views.CombineOutput.Rows(_tokens);
    }

    /// <summary>
    /// Checks and runs <c>ncclEpCombine</c> (forward) of <paramref name="combineInput"/> for a handle last updated with
    /// <paramref name="ncclEpTokens"/> tokens, into the combine output; LowLatency applies the layer's copy of the
    /// weights <paramref name="weights"/> (the step's). Returns the native call's host time in <see cref="Stopwatch"/> ticks.
    /// </summary>
    private long CombineRows(DeviceTensor<BFloat16> combineInput, int ncclEpTokens, DeviceTensor<float> weights)
    {
        NcclEpLayerBuffers b = _buffers;
        // Zero-copy: the input is read by peers in place from the Unpermute buffer's window; another input is first
        // copied there (a symmetric tensor elsewhere would need NCCL EP's full slot count behind its offset).
        _calls.RequireCombine(NcclEpPassDirection.Forward, ncclEpTokens, new NcclEpCombineTensors
        {
            Tokens = SlotsInfo(b.Unpermuted, nameof(combineInput)),
            OutputTokens = NcclEpTensorInfo.Of(_views.CombineOutput.Rows(ncclEpTokens), "combined"),
            OutputTopkWeights = _shape.LowLatency ? NcclEpTensorInfo.Matrix("topkWeights", NcclDataType.Float32, ncclEpTokens, TopK) : null,
        });
        // A copied input wrote the Unpermute buffer's padding rows too: the next Unpermute must clear all of them.
        _padding?.Overwritten(LowLatencyGroupBuffer.Unpermuted, StageInto(combineInput, b.Unpermuted));
        NcclEpCombineInputs inputs = NcclEpCombineInputs.Create();
        inputs.Tokens = DescribeSlots(_descriptors.InTokens, b.Unpermuted);
        NcclEpCombineOutputs outputs = NcclEpCombineOutputs.Create();
        outputs.Tokens = _descriptors.OutTokens.Describe(Address(b.CombineOutput), [ncclEpTokens, Hidden]);
        if (_shape.LowLatency)
        {
            outputs.TopkWeights = _descriptors.OutWeights.Describe(Address(weights), [ncclEpTokens, TopK]);
        }

        NcclEpCombineConfig config = NcclEpCombineConfig.Create(NcclEpPassDirection.Forward);
        long before = NativeCallClock.Read();
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        NcclException.ThrowIfFailed(NcclEpNative.Combine(_handle.DangerousGetHandle(), &inputs, &outputs, &config, Stream));
        return NativeCallClock.Read() - before;
    }
}
