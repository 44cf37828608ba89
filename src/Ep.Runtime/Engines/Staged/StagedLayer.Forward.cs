namespace Ep.Engines.Staged;

internal sealed partial class StagedLayer
{
    /// <summary>Flat: copies each received row to its experts' groups. Expert-major layouts are already permuted: a view.</summary>
    public EpPermutedBatch Permute(EpDispatchResult dispatched)
    {
        _device.MakeCurrent();
        return _local.Permute(dispatched);
    }

    /// <summary>
    /// Flat: sums each received row's expert outputs (weighted when the layer says so). ExpertMajor: scales each row by
    /// its weight (or copies it). LowLatency: copies (its Combine applies the weights).
    /// </summary>
    public DeviceTensor<BFloat16> Unpermute(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput)
    {
        _device.MakeCurrent();
        return _local.Unpermute(expertOutput);
    }

    /// <summary>Returns every received row to its source rank, which sums its token's rows in ascending rank and row.</summary>
    public DeviceTensor<BFloat16> Combine(DeviceTensor<BFloat16> combineInput)
    {
        _device.MakeCurrent();
        StagedLayerBuffers b = _buffers;
        ulong units = Address(combineInput);
        if (_expertMajor)
        {
            Poison(b.PairRows);
            _kernels.RowsToPairs(units, 0, Address(b.RowSource), Address(b.RowSlot), Address(b.PairStart), _local.LayoutRows, Address(b.PairRows), 0);
            units = Address(b.PairRows);
        }

        Poison(b.ReturnRows);
        _transport.Exchange("Combine", [Return(StagedReceiveBuffer.ReturnRows, units, RowBytes)]);
        Poison(b.CombineOutput);
        ReduceReturned(weighted: _lowLatency, Address(b.CombineOutput), 0, 0);
        return b.CombineOutput.SliceRows(0, _tokens);
    }

    /// <summary>The source rank's half of Combine and DispatchBackward: sums the rows returned for each token.</summary>
    private void ReduceReturned(bool weighted, ulong output, ulong unitWeights, ulong gradWeights)
    {
        StagedLayerBuffers b = _buffers;
        ulong unitOffsets = _expertMajor ? StagedMemory.Address(b.SendOffsets, Ranks) : Address(b.SendOffsets);
        _kernels.CombineTokens(Address(SourceIdx), Address(SourceWeights), _tokens, _localExperts, Address(Positions), Address(PairPositions),
            unitOffsets, _expertMajor, weighted, Address(b.ReturnRows), unitWeights, output, gradWeights);
    }
}
