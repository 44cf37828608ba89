using System;

namespace Ep.Engines.Staged;

internal sealed partial class StagedLayer
{
    /// <summary>Sends each gradient row to every rank that received its token: Dispatch's path without ids and weights.</summary>
    public DeviceTensor<BFloat16> CombineBackward(DeviceTensor<BFloat16> gradOutput)
    {
        _device.MakeCurrent();
        StagedLayerBuffers b = _buffers;
        _ = Plan; // no step yet: throws before anything is written (the runtime checks this first)
        Poison(b.SendRows);
        _kernels.PackRows(Address(gradOutput), Address(SourceIdx), 0, _tokens, _localExperts, Address(Positions), Address(b.SendOffsets),
            Address(b.SendRows), 0, 0);
        Poison(b.GradFlat);
        _transport.Exchange("CombineBackward", [new StagedTransfer(StagedReceiveBuffer.GradFlat, Address(b.SendRows), RowBytes, _forwardSegments)]);
        if (!_expertMajor)
        {
            return b.GradFlat.SliceRows(0, _local.ReceivedRows);
        }

        Poison(b.GradLayout);
        _kernels.ExpandRows(Address(b.GradFlat), 0, Address(b.RowSource), Address(b.RowSlot), _local.LayoutRows, Address(b.GradLayout), 0);
        return b.GradLayout.SliceRows(0, _local.LayoutRows);
    }

    /// <summary>dExpertOut = c · dz scattered to the permuted rows; dWeights = ⟨dz, expertOut⟩ per (row, slot) when weighted.</summary>
    public EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        _device.MakeCurrent();
        return _local.UnpermuteBackward(expertOutput, gradCombineInput);
    }

    /// <summary>Flat: sums each received row's permuted gradients. ExpertMajor: a copy with padding rows zeroed.</summary>
    public DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted)
    {
        _device.MakeCurrent();
        return _local.PermuteBackward(gradPermuted);
    }

    /// <summary>Returns received-row gradients (and weight gradients) to their source ranks, which sum them per token.</summary>
    public EpDispatchGradients DispatchBackward(DeviceTensor<BFloat16> gradReceived, DeviceTensor<float>? gradReceivedWeights)
    {
        _device.MakeCurrent();
        StagedLayerBuffers b = _buffers;
        bool withWeights = gradReceivedWeights is not null;
        if (Array.Exists(_transport.AllGather(withWeights, "DispatchBackward"), other => other != withWeights))
        {
            throw StagedAgreedErrors.Mark(new ArgumentException(
                "DispatchBackward is collective: either every rank passes gradReceivedWeights or none does; the ranks disagree.",
                nameof(gradReceivedWeights)));
        }

        ulong units = Address(gradReceived), unitWeights = Address(gradReceivedWeights);
        if (_expertMajor)
        {
            Poison(b.PairRows);
            Poison(b.PairWeights);
            _kernels.RowsToPairs(units, unitWeights, Address(b.RowSource), Address(b.RowSlot), Address(b.PairStart), _local.LayoutRows,
                Address(b.PairRows), withWeights ? Address(b.PairWeights) : 0);
            units = Address(b.PairRows);
            unitWeights = Address(b.PairWeights);
        }

        Poison(b.ReturnRows);
        Poison(b.ReturnWeights);
        StagedTransfer rows = Return(StagedReceiveBuffer.ReturnRows, units, RowBytes);
        long weightBytes = _expertMajor ? sizeof(float) : (long)TopK * sizeof(float);
        _transport.Exchange("DispatchBackward", withWeights ? [rows, Return(StagedReceiveBuffer.ReturnWeights, unitWeights, weightBytes)] : [rows]);
        Poison(b.GradTokens);
        Poison(b.GradTopkWeights);
        ReduceReturned(weighted: false, Address(b.GradTokens), withWeights ? Address(b.ReturnWeights) : 0, withWeights ? Address(b.GradTopkWeights) : 0);
        return new EpDispatchGradients(b.GradTokens.SliceRows(0, _tokens), withWeights ? b.GradTopkWeights.SliceRows(0, _tokens) : null);
    }
}
