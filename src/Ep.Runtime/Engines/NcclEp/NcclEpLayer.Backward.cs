using Ep.Engines.Staged;
using Ep.Interop;
using Ep.Interop.Nccl;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

internal sealed unsafe partial class NcclEpLayer
{
    /// <summary>NCCL EP's dispatch in the backward direction: each gradient row goes to every slot its token filled.</summary>
    public DeviceTensor<BFloat16> CombineBackward(DeviceTensor<BFloat16> gradOutput)
    {
        _device.MakeCurrent();
        NcclEpLayerBuffers b = _buffers;
        Poison(b.GradFlat);
        if (_idle)
        {
            return _views.GradFlat.Rows(0);
        }

        RequireDispatchGradientCall(_tokens > 0 ? NcclEpTensorInfo.Of(gradOutput, nameof(gradOutput)) : GradOutputInfo(StepNcclEpTokens), StepNcclEpTokens);
        DispatchGradientRows(NonNull(gradOutput), StepNcclEpTokens);
        return _views.GradFlat.Rows(_shape.ExpertMajor ? _local.LayoutRows : _local.ReceivedRows);
    }

    /// <summary>Checks <see cref="DispatchGradientRows"/>'s call (its asserts would abort the process) for <paramref name="gradOutput"/>.</summary>
    private void RequireDispatchGradientCall(NcclEpTensorInfo gradOutput, int ncclEpTokens) =>
        _calls.RequireDispatch(NcclEpPassDirection.Backward, ncclEpTokens, new NcclEpDispatchTensors
        {
            Tokens = gradOutput,
            OutputTokens = NcclEpTensorInfo.Of(_buffers.GradFlat, "gradReceived"),
        });

    /// <summary>The gradient of the combined rows as NCCL EP sees it: [<paramref name="ncclEpTokens"/>, H] bf16.</summary>
    private NcclEpTensorInfo GradOutputInfo(int ncclEpTokens) => NcclEpTensorInfo.Matrix("gradOutput", NcclDataType.BFloat16, ncclEpTokens, Hidden);

    /// <summary><c>ncclEpDispatch</c> (backward) of the [<paramref name="ncclEpTokens"/>, H] rows at <paramref name="gradOutput"/> into GradFlat.</summary>
    private void DispatchGradientRows(ulong gradOutput, int ncclEpTokens)
    {
        NcclEpDispatchInputs inputs = NcclEpDispatchInputs.Create();
        inputs.Tokens = _descriptors.InTokens.Describe(gradOutput, [ncclEpTokens, Hidden]);
        NcclEpDispatchOutputs outputs = NcclEpDispatchOutputs.Create();
        outputs.Tokens = _descriptors.OutTokens.Describe(Address(_buffers.GradFlat), [_shape.ReceiveSlots, Hidden]);
        NcclEpDispatchConfig config = NcclEpDispatchConfig.Create(NcclEpPassDirection.Backward);
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        NcclException.ThrowIfFailed(NcclEpNative.Dispatch(_handle.DangerousGetHandle(), &inputs, &outputs, null, &config, Stream));
    }

    /// <summary>dExpertOut = c · dz in the permuted order; dWeights = ⟨dz, expertOut⟩ when the layer applies weights.</summary>
    public EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        _device.MakeCurrent();
        return _local.UnpermuteBackward(expertOutput, gradCombineInput);
    }

    /// <summary>Flat: sums each received row's permuted gradients. Expert-major: a copy with padding rows zeroed.</summary>
    public DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted)
    {
        _device.MakeCurrent();
        return _local.PermuteBackward(gradPermuted);
    }

    /// <summary>
    /// NCCL EP's combine in the backward direction: received-row gradients summed per token, and the received-weight
    /// gradients returned in the caller's original top-k order. NCCL EP requires the weight input in this direction,
    /// so zeros stand in when the caller has none (and no weight gradient is returned).
    /// </summary>
    public EpDispatchGradients DispatchBackward(DeviceTensor<BFloat16> gradReceived, DeviceTensor<float>? gradReceivedWeights)
    {
        _device.MakeCurrent();
        NcclEpLayerBuffers b = _buffers;
        if (_idle)
        {
            Clear(b.GradTokens);
            Clear(b.GradTopkWeights);
            return EpDispatchGradients.Of(_views.GradTokens.Rows(_tokens), gradReceivedWeights is not null ? _views.GradTopkWeights.Rows(_tokens) : null,
                ref _dispatchGradients);
        }

        RequireCombineGradientCall(b.GradReceivedWeights, StepNcclEpTokens);
        ulong rows = InSlots(gradReceived, b.GradReceived);
        ulong weights = Address(b.ZeroWeights);
        if (gradReceivedWeights is not null)
        {
            // UnpermuteBackward's result (the usual argument) is a view of the layer's [slots, …] weight-gradient buffer:
            // NCCL EP reads that buffer as it is, as a captured training step passes it. Any other tensor is copied into a
            // buffer of that shape first.
            weights = Address(gradReceivedWeights);
            if (weights != Address(b.GradWeights) && weights != Address(b.GradReceivedWeights))
            {
                weights = Address(b.GradReceivedWeights);
                StagedMemory.Copy(weights, Address(gradReceivedWeights), gradReceivedWeights.Length * sizeof(float), _stream);
            }
        }

        Poison(b.GradTokens);
        Poison(b.GradTopkWeights);
        CombineGradientRows(rows, weights, StepNcclEpTokens);
        _backwardExchangedOutsideCapture = true; // both directions have run: DispatchBackward follows CombineBackward
        return EpDispatchGradients.Of(_views.GradTokens.Rows(_tokens), gradReceivedWeights is not null ? _views.GradTopkWeights.Rows(_tokens) : null,
            ref _dispatchGradients);
    }

    /// <summary>Checks <see cref="CombineGradientRows"/>'s call with the weight gradients in <paramref name="weights"/> (a [slots, …] buffer).</summary>
    private void RequireCombineGradientCall(DeviceTensor<float> weights, int ncclEpTokens) =>
        _calls.RequireCombine(NcclEpPassDirection.Backward, ncclEpTokens, new NcclEpCombineTensors
        {
            Tokens = NcclEpTensorInfo.Of(_buffers.GradReceived, "gradReceived"),
            TopkWeights = NcclEpTensorInfo.Of(weights, "gradReceivedWeights"),
            OutputTokens = NcclEpTensorInfo.Of(_views.GradTokens.Rows(ncclEpTokens), "gradTokens"),
            OutputTopkWeights = NcclEpTensorInfo.Of(_views.GradTopkWeights.Rows(ncclEpTokens), "gradTopkWeights"),
        });

    /// <summary>
    /// <c>ncclEpCombine</c> (backward) of the received-row gradients at <paramref name="rows"/> ([slots, H]) and their
    /// weight gradients at <paramref name="weights"/> into GradTokens and GradTopkWeights ([<paramref name="ncclEpTokens"/>, …]).
    /// </summary>
    private void CombineGradientRows(ulong rows, ulong weights, int ncclEpTokens)
    {
        NcclEpLayerBuffers b = _buffers;
        NcclEpCombineInputs inputs = NcclEpCombineInputs.Create();
        inputs.Tokens = _descriptors.InTokens.Describe(rows, [_shape.ReceiveSlots, Hidden]);
        inputs.TopkWeights = _shape.ExpertMajor
            ? _descriptors.InWeights.Describe(weights, [_shape.ReceiveSlots])
            : _descriptors.InWeights.Describe(weights, [_shape.ReceiveSlots, TopK]);
        NcclEpCombineOutputs outputs = NcclEpCombineOutputs.Create();
        outputs.Tokens = _descriptors.OutTokens.Describe(Address(b.GradTokens), [ncclEpTokens, Hidden]);
        outputs.TopkWeights = _descriptors.OutWeights.Describe(Address(b.GradTopkWeights), [ncclEpTokens, TopK]);
        NcclEpCombineConfig config = NcclEpCombineConfig.Create(NcclEpPassDirection.Backward);
        using NativeCallClock.Scope native = NativeCallClock.Measure();
        NcclException.ThrowIfFailed(NcclEpNative.Combine(_handle.DangerousGetHandle(), &inputs, &outputs, &config, Stream));
    }
}
