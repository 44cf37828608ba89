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
        RequireTokenCount(tokens);
        return DispatchRecorded(step, tokens, RecordRouting(topkIdx, topkWeights, tokens.Rows));
    }

    /// <summary>
    /// Launches the routing record ahead of the Dispatch (its checks, send positions and copies of the ids and weights,
    /// into the spare generation); the Dispatch that follows gathers it. The gather is a host rendezvous with the other
    /// ranks, so it stays in the Dispatch.
    /// </summary>
    public void PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        _device.MakeCurrent();
        _preparedRecord = RecordRouting(topkIdx, topkWeights, topkIdx.Rows);
    }

    /// <summary>Dispatch with the record <see cref="PrepareDispatch"/> launched (the runtime allows it only right after one).</summary>
    public EpDispatchResult DispatchPrepared(long step, DeviceTensor<BFloat16> tokens)
    {
        _device.MakeCurrent();
        RequireTokenCount(tokens);
        return DispatchRecorded(step, tokens, _preparedRecord);
    }

    /// <summary>A local shape error (generated layers check it first): the buffers hold MaxTokensPerRank rows. Peers see a peer failure.</summary>
    private void RequireTokenCount(DeviceTensor<BFloat16> tokens)
    {
        if (tokens.Rows > _spec.MaxTokensPerRank)
        {
            throw new EpShapeException(nameof(tokens), "at most rows (MaxTokensPerRank)", _spec.MaxTokensPerRank, tokens.Rows);
        }
    }

    /// <summary>
    /// Runs validation and counting on the device into a routing record — with the send positions and the copies of the
    /// ids and weights, into the spare generation — and returns its address.
    /// </summary>
    private ulong RecordRouting(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights, int tokenCount)
    {
        StagedLayerBuffers b = _buffers;
        int spare = 1 - _generation;
        var copies = new StagedKernels.RoutingCopies(Address(b.SourceIdx[spare]), Address(topkWeights), Address(b.SourceWeights[spare]));
        return _kernels.RouteRecord(Address(topkIdx), tokenCount, TopK, Ranks, _localExperts, Address(b.Positions[spare]),
            Address(b.PairPositions[spare]), b.RouteRecords, heldIdx: 0, copies);
    }

    /// <summary>
    /// Gathers every rank's record through the transport (the step's one host wait; a bad entry costs one more read, of
    /// its row in the layer's copy), then — once every check passed — packs from the layer's copies, exchanges and lays
    /// out the received rows.
    /// </summary>
    private EpDispatchResult DispatchRecorded(long step, DeviceTensor<BFloat16> tokens, ulong record)
    {
        int tokenCount = tokens.Rows;
        int spare = 1 - _generation;
        DeviceTensor<long> recordedIdx = _buffers.SourceIdx[spare];
        var plan = new StagedRoutePlan(_spec, _transport.GatherRouting(record, key => DescribeRoutingError(recordedIdx, key), "Dispatch"));
        plan.ThrowIfInvalid();

        // Committed: from here on this step replaces the previous one, and the copies the record wrote are current.
        _plan = plan;
        _generation = spare;
        _tokens = tokenCount;
        _forwardSegments = plan.ForwardSegments(_rank);
        _returnSegments = plan.ReturnSegments(_rank, perPair: _expertMajor);
        StagedLayerBuffers b = _buffers;
        UploadSendOffsets(plan);
        Poison(b.SendRows);
        _kernels.PackRows(Address(tokens), Address(SourceIdx), Address(SourceWeights), tokenCount, _localExperts, Address(Positions),
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
        _local.SetStep(rows, layoutRows, counts, offsets);
        if (!_expertMajor)
        {
            // m(n, j) and the groups' tables are Permute's work (StagedLocalReorder): the Flat result is the rows, ids
            // and weights as received.
            return new EpDispatchResult(step, EpLayout.Flat, b.RecvRows.SliceRows(0, rows), b.RecvIdx.SliceRows(0, rows),
                b.RecvWeights.SliceRows(0, rows), counts, offsets, _tokens);
        }

        b.Layout.Upload(offsets, counts, _stream);

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
