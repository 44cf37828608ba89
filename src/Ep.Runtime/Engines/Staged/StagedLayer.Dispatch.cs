using System;

namespace Ep.Engines.Staged;

internal sealed partial class StagedLayer
{
    /// <summary>
    /// Validates and counts on the device, reads the counts back once, agrees with every rank (errors and capacities
    /// checked before a byte moves), then packs, exchanges and lays out the received rows.
    /// </summary>
    public EpDispatchResult Dispatch(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        _device.MakeCurrent();
        int tokenCount = tokens.Rows;
        if (tokenCount > _spec.MaxTokensPerRank)
        {
            // A local shape error (generated layers check it first): the buffers hold MaxTokensPerRank rows. Peers see a peer failure.
            throw new EpShapeException(nameof(tokens), "at most rows (MaxTokensPerRank)", _spec.MaxTokensPerRank, tokenCount);
        }

        int spare = 1 - _generation;
        var plan = new StagedRoutePlan(_spec, Summarize(topkIdx, topkWeights, tokenCount, spare));
        plan.ThrowIfInvalid();

        // Committed: from here on this step replaces the previous one.
        _plan = plan;
        _generation = spare;
        _tokens = tokenCount;
        _forwardSegments = plan.ForwardSegments(_rank);
        _returnSegments = plan.ReturnSegments(_rank, perPair: _expertMajor);
        StagedLayerBuffers b = _buffers;
        UploadSendOffsets(plan);
        Poison(b.SendRows);
        _kernels.PackRows(Address(tokens), Address(topkIdx), Address(topkWeights), tokenCount, _localExperts, Address(Positions),
            Address(b.SendOffsets), Address(b.SendRows), Address(b.SendIdx), Address(b.SendWeights));

        Poison(b.RecvRows);
        Poison(b.RecvIdx);
        Poison(b.RecvWeights);
        _transport.Exchange("Dispatch",
        [
            new StagedTransfer(StagedReceiveBuffer.RecvRows, Address(b.SendRows), RowBytes, _forwardSegments),
            new StagedTransfer(StagedReceiveBuffer.RecvIdx, Address(b.SendIdx), (long)TopK * sizeof(long), _forwardSegments),
            new StagedTransfer(StagedReceiveBuffer.RecvWeights, Address(b.SendWeights), (long)TopK * sizeof(float), _forwardSegments),
        ]);
        return LayOutReceived(step, plan);
    }

    /// <summary>
    /// Copies the ids and weights on the layer's stream, which the Dispatch that follows checks (the Staged engine's
    /// checks meet the other ranks' at a host rendezvous, so they cannot start ahead of it).
    /// </summary>
    public void PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        _device.MakeCurrent();
        (DeviceTensor<long> idx, DeviceTensor<float> weights) = _prepared.Reserve(topkIdx.Rows);
        StagedMemory.Copy(Address(idx), Address(topkIdx), topkIdx.Length * sizeof(long), _stream);
        StagedMemory.Copy(Address(weights), Address(topkWeights), topkWeights.Length * sizeof(float), _stream);
    }

    public EpDispatchResult DispatchPrepared(long step, DeviceTensor<BFloat16> tokens)
    {
        (DeviceTensor<long> idx, DeviceTensor<float> weights) = _prepared.Take();
        return Dispatch(step, tokens, idx, weights);
    }

    /// <summary>
    /// Runs validation and counting on the device — with the send positions and the copies of the ids and weights, into
    /// <paramref name="generation"/> — then gathers every rank's record through the transport (the step's one host
    /// wait; a bad entry costs one more read, of its row).
    /// </summary>
    private StagedRouteSummary[] Summarize(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights, int tokenCount, int generation)
    {
        StagedLayerBuffers b = _buffers;
        ulong idx = Address(topkIdx);
        var copies = new StagedKernels.RoutingCopies(Address(b.SourceIdx[generation]), Address(topkWeights), Address(b.SourceWeights[generation]));
        ulong record = _kernels.RouteRecord(idx, tokenCount, TopK, Ranks, _localExperts, Address(b.Positions[generation]),
            Address(b.PairPositions[generation]), b.RouteRecords, heldIdx: 0, copies);
        return _transport.GatherRouting(record, key => DescribeRoutingError(topkIdx, key), "Dispatch");
    }

    /// <summary>The full routing error behind <paramref name="key"/>: the id found, and for a repeat the slot that named it first.</summary>
    private StagedRoutingError DescribeRoutingError(DeviceTensor<long> topkIdx, long key) => StagedRouteRecord.Describe(topkIdx, key, TopK, _stream);

    private void UploadSendOffsets(StagedRoutePlan plan)
    {
        Span<int> offsets = _buffers.SendOffsetStaging.Span;
        for (int d = 0; d < Ranks; d++)
        {
            offsets[d] = checked((int)plan.SendOffset(_rank, d));
            offsets[Ranks + d] = checked((int)plan.PairSendOffset(_rank, d));
        }

        _buffers.SendOffsetStaging.Upload(offsets.Length, Address(_buffers.SendOffsets), _stream);
    }

    /// <summary>Sets the step's layout, and places the received rows in the expert-major dispatch layout when the layer uses one.</summary>
    private EpDispatchResult LayOutReceived(long step, StagedRoutePlan plan)
    {
        StagedLayerBuffers b = _buffers;
        int rows = plan.RowsReceived(_rank);
        int[] counts = plan.ExpertCounts(_rank);
        (int[] offsets, int layoutRows) = plan.ExpertOffsets(counts);
        if (!_expertMajor)
        {
            layoutRows = 0;
            foreach (int count in counts)
            {
                layoutRows += count;
            }
        }

        _local.SetStep(rows, layoutRows, counts, offsets);
        b.Layout.Upload(offsets, counts, _stream);
        if (!_expertMajor)
        {
            // m(n, j) is Permute's work (StagedLocalReorder): the Flat result is the rows, ids and weights as received.
            return new EpDispatchResult(step, EpLayout.Flat, b.RecvRows.SliceRows(0, rows), b.RecvIdx.SliceRows(0, rows),
                b.RecvWeights.SliceRows(0, rows), counts, offsets, _tokens);
        }

        _kernels.RankInExpert(Address(b.RecvIdx), rows, _localExperts, Address(b.RankInExpert), Address(b.RankTileCounts));
        _kernels.ScanPairs(Address(b.RecvIdx), rows, Address(b.PairStart));
        StagedMemory.Fill(Address(b.RowSource), 0xFFFFFFFFu, layoutRows, _stream);
        _kernels.FinishRows(Address(b.RecvIdx), Address(b.RankInExpert), Address(b.ExpertOffsets), rows, TopK, Address(b.PermutedRow),
            Address(b.RowSource), Address(b.RowSlot));
        _padding?.Overwritten(LowLatencyGroupBuffer.Received, _local.Poison(b.LayoutRows));
        Poison(b.LayoutWeights);

        // LowLatency's fixed groups: the padding is kept zero by clearing only the rows a step vacates.
        _kernels.ExpandRows(Address(b.RecvRows), Address(b.RecvWeights), Address(b.RowSource), Address(b.RowSlot), layoutRows,
            Address(b.LayoutRows), Address(b.LayoutWeights), zeroPadding: _padding is null);
        _padding?.ClearVacated(LowLatencyGroupBuffer.Received, Address(b.LayoutRows));
        return new EpDispatchResult(step, EpLayout.ExpertMajor, b.LayoutRows.SliceRows(0, layoutRows), null,
            b.LayoutWeights.SliceRows(0, layoutRows), counts, offsets, _tokens);
    }
}
