using Ep.Engines.Staged;
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
            return b.GradFlat.SliceRows(0, 0);
        }

        _calls.RequireDispatch(NcclEpPassDirection.Backward, _ncclEpTokens, new NcclEpDispatchTensors
        {
            Tokens = _tokens > 0 ? NcclEpTensorInfo.Of(gradOutput, nameof(gradOutput)) : NcclEpTensorInfo.Matrix(nameof(gradOutput), NcclDataType.BFloat16, _ncclEpTokens, Hidden),
            OutputTokens = NcclEpTensorInfo.Of(b.GradFlat, "gradReceived"),
        });
        NcclEpDispatchInputs inputs = NcclEpDispatchInputs.Create();
        inputs.Tokens = _descriptors.InTokens.Describe(NonNull(gradOutput), [_ncclEpTokens, Hidden]);
        NcclEpDispatchOutputs outputs = NcclEpDispatchOutputs.Create();
        outputs.Tokens = _descriptors.OutTokens.Describe(Address(b.GradFlat), [_shape.ReceiveSlots, Hidden]);
        NcclEpDispatchConfig config = NcclEpDispatchConfig.Create(NcclEpPassDirection.Backward);
        NcclException.ThrowIfFailed(NcclEpNative.Dispatch(_handle.DangerousGetHandle(), &inputs, &outputs, null, &config, Stream));
        return b.GradFlat.SliceRows(0, _shape.ExpertMajor ? _layoutRows : _receivedRows);
    }

    /// <summary>dExpertOut = c · dz in the permuted order; dWeights = ⟨dz, expertOut⟩ when the layer applies weights.</summary>
    public EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        _device.MakeCurrent();
        NcclEpLayerBuffers b = _buffers;
        bool weighted = _spec.ApplyWeightsInCombine;
        ulong dz = Address(gradCombineInput), output = Address(expertOutput);
        Poison(b.GradExpertOutput);
        if (weighted)
        {
            Poison(b.GradWeights);
        }

        if (!_shape.ExpertMajor)
        {
            _kernels.PermuteRows(dz, Address(b.PermutedRow), weighted ? Address(b.RecvWeights) : 0, _receivedRows, Address(b.GradExpertOutput));
            if (weighted)
            {
                _kernels.WeightGradsFlat(dz, output, Address(b.PermutedRow), _receivedRows, TopK, Address(b.GradWeights));
            }

            return new EpUnpermuteGradients(b.GradExpertOutput.SliceRows(0, _layoutRows), weighted ? b.GradWeights.SliceRows(0, _receivedRows) : null);
        }

        _kernels.ScaleRows(dz, Address(b.RowSource), weighted ? Address(b.RecvWeights) : 0, _layoutRows, Address(b.GradExpertOutput));
        if (weighted)
        {
            _kernels.WeightGradsRows(dz, output, Address(b.RowSource), _layoutRows, Address(b.GradWeights));
        }

        return new EpUnpermuteGradients(b.GradExpertOutput.SliceRows(0, _layoutRows), weighted ? b.GradWeights.SliceRows(0, _layoutRows) : null);
    }

    /// <summary>Flat: sums each received row's permuted gradients. Expert-major: a copy with padding rows zeroed.</summary>
    public DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted)
    {
        _device.MakeCurrent();
        NcclEpLayerBuffers b = _buffers;
        Poison(b.GradReceived);
        if (!_shape.ExpertMajor)
        {
            _kernels.GatherSumRows(Address(gradPermuted), Address(b.PermutedRow), 0, _receivedRows, Address(b.GradReceived));
            return b.GradReceived.SliceRows(0, _receivedRows);
        }

        _kernels.ScaleRows(Address(gradPermuted), Address(b.RowSource), 0, _layoutRows, Address(b.GradReceived));
        return b.GradReceived.SliceRows(0, _layoutRows);
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
            return new EpDispatchGradients(b.GradTokens.SliceRows(0, _tokens), gradReceivedWeights is not null ? b.GradTopkWeights.SliceRows(0, _tokens) : null);
        }

        _calls.RequireCombine(NcclEpPassDirection.Backward, _ncclEpTokens, new NcclEpCombineTensors
        {
            Tokens = NcclEpTensorInfo.Of(b.GradReceived, nameof(gradReceived)),
            TopkWeights = NcclEpTensorInfo.Of(b.GradReceivedWeights, nameof(gradReceivedWeights)),
            OutputTokens = NcclEpTensorInfo.Of(b.GradTokens.SliceRows(0, _ncclEpTokens), "gradTokens"),
            OutputTopkWeights = NcclEpTensorInfo.Of(b.GradTopkWeights.SliceRows(0, _ncclEpTokens), "gradTopkWeights"),
        });
        ulong rows = InSlots(gradReceived, b.GradReceived);
        ulong weights = Address(b.ZeroWeights);
        if (gradReceivedWeights is not null)
        {
            weights = Address(b.GradReceivedWeights);
            if (Address(gradReceivedWeights) != weights)
            {
                StagedMemory.Copy(weights, Address(gradReceivedWeights), gradReceivedWeights.Length * sizeof(float), _stream);
            }
        }

        Poison(b.GradTokens);
        Poison(b.GradTopkWeights);
        NcclEpCombineInputs inputs = NcclEpCombineInputs.Create();
        inputs.Tokens = _descriptors.InTokens.Describe(rows, [_shape.ReceiveSlots, Hidden]);
        inputs.TopkWeights = _shape.ExpertMajor
            ? _descriptors.InWeights.Describe(weights, [_shape.ReceiveSlots])
            : _descriptors.InWeights.Describe(weights, [_shape.ReceiveSlots, TopK]);
        NcclEpCombineOutputs outputs = NcclEpCombineOutputs.Create();
        outputs.Tokens = _descriptors.OutTokens.Describe(Address(b.GradTokens), [_ncclEpTokens, Hidden]);
        outputs.TopkWeights = _descriptors.OutWeights.Describe(Address(b.GradTopkWeights), [_ncclEpTokens, TopK]);
        NcclEpCombineConfig config = NcclEpCombineConfig.Create(NcclEpPassDirection.Backward);
        NcclException.ThrowIfFailed(NcclEpNative.Combine(_handle.DangerousGetHandle(), &inputs, &outputs, &config, Stream));
        return new EpDispatchGradients(b.GradTokens.SliceRows(0, _tokens), gradReceivedWeights is not null ? b.GradTopkWeights.SliceRows(0, _tokens) : null);
    }
}
