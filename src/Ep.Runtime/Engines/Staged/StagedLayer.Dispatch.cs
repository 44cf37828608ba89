using System;
using System.Collections.Generic;

namespace Ep.Engines.Staged;

internal sealed partial class StagedLayer
{
    private const long NoError = long.MaxValue;

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
        StagedRouteSummary summary = Summarize(topkIdx, tokenCount, spare);
        var plan = new StagedRoutePlan(_spec, _world.AllGather(_rank, summary, "Dispatch"));
        plan.ThrowIfInvalid();

        // Committed: from here on this step replaces the previous one.
        _plan = plan;
        _generation = spare;
        _tokens = tokenCount;
        StagedLayerBuffers b = _buffers;
        StagedMemory.Copy(Address(b.SourceIdx), Address(topkIdx), (long)tokenCount * TopK * sizeof(long), _stream);
        StagedMemory.Copy(Address(b.SourceWeights), Address(topkWeights), (long)tokenCount * TopK * sizeof(float), _stream);
        UploadSendOffsets(plan);
        Poison(b.SendRows);
        _kernels.PackRows(Address(tokens), Address(topkIdx), Address(topkWeights), tokenCount, _localExperts, Address(Positions),
            Address(b.SendOffsets), Address(b.SendRows), Address(b.SendIdx), Address(b.SendWeights));

        Poison(b.RecvRows);
        Poison(b.RecvIdx);
        Poison(b.RecvWeights);
        var copies = new List<StagedCopy>(3 * Ranks);
        for (int d = 0; d < Ranks; d++)
        {
            long rows = plan.RowsSent(_rank, d);
            long from = plan.SendOffset(_rank, d), to = plan.ReceiveOffset(d, _rank);
            if (rows > 0)
            {
                copies.Add(new StagedCopy(_peers[d].RecvRows + (ulong)(to * RowBytes), Row(b.SendRows, from), rows * RowBytes));
                copies.Add(new StagedCopy(_peers[d].RecvIdx + (ulong)(to * TopK * sizeof(long)), StagedMemory.Address(b.SendIdx, from * TopK), rows * TopK * sizeof(long)));
                copies.Add(new StagedCopy(_peers[d].RecvWeights + (ulong)(to * TopK * sizeof(float)), StagedMemory.Address(b.SendWeights, from * TopK), rows * TopK * sizeof(float)));
            }
        }

        _exchange.Run("Dispatch", copies);
        return LayOutReceived(step, plan);
    }

    /// <summary>Runs validation and counting on the device and reads the results back (the step's one host wait).</summary>
    private StagedRouteSummary Summarize(DeviceTensor<long> topkIdx, int tokenCount, int generation)
    {
        StagedLayerBuffers b = _buffers;
        ulong idx = Address(topkIdx);
        _kernels.ValidateRouting(idx, tokenCount, Address(b.Error));
        _kernels.ScanDestinations(idx, tokenCount, Ranks, _localExperts, Address(b.Positions[generation]), Address(b.PairPositions[generation]),
            Address(b.Counts));
        _kernels.CountExperts(idx, tokenCount, _spec.Experts, StagedMemory.Address(b.Counts, 2L * Ranks));
        int[] counts = StagedMemory.Download<int>(Address(b.Counts), 2 * Ranks + _spec.Experts, _stream);
        long key = StagedMemory.Download<long>(Address(b.Error), 1, _stream)[0];
        StagedRoutingError? error = null;
        if (key != NoError)
        {
            long entry = key / 2;
            int token = (int)(entry / TopK), slot = (int)(entry % TopK);
            long[] row = StagedMemory.Download<long>(StagedMemory.Address(topkIdx, (long)token * TopK), TopK, _stream);
            error = new StagedRoutingError(token, slot, row[slot], key % 2 == 0 ? -1 : Array.IndexOf(row, row[slot]));
        }

        return new StagedRouteSummary(error, counts.AsSpan(0, Ranks).ToArray(), counts.AsSpan(Ranks, Ranks).ToArray(),
            counts.AsSpan(2 * Ranks).ToArray());
    }

    private void UploadSendOffsets(StagedRoutePlan plan)
    {
        var offsets = new int[2 * Ranks];
        for (int d = 0; d < Ranks; d++)
        {
            offsets[d] = checked((int)plan.SendOffset(_rank, d));
            offsets[Ranks + d] = checked((int)plan.PairSendOffset(_rank, d));
        }

        StagedMemory.Upload<int>(offsets, Address(_buffers.SendOffsets), _stream);
    }

    /// <summary>Places the received rows: m(n, j) always, and the expert-major dispatch layout when the layer uses one.</summary>
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

        _receivedRows = rows;
        _layoutRows = layoutRows;
        _expertCounts = counts;
        _expertOffsets = offsets;
        StagedMemory.Upload<int>(offsets, Address(b.ExpertOffsets), _stream);
        _kernels.RankInExpert(Address(b.RecvIdx), rows, _localExperts, Address(b.RankInExpert));
        if (!_expertMajor)
        {
            _kernels.FinishRows(Address(b.RecvIdx), Address(b.RankInExpert), Address(b.ExpertOffsets), rows, TopK, Address(b.PermutedRow), 0, 0);
            return new EpDispatchResult(step, EpLayout.Flat, b.RecvRows.SliceRows(0, rows), b.RecvIdx.SliceRows(0, rows),
                b.RecvWeights.SliceRows(0, rows), (int[])counts.Clone(), (int[])offsets.Clone(), _tokens);
        }

        _kernels.ScanPairs(Address(b.RecvIdx), rows, Address(b.PairStart));
        StagedMemory.Fill(Address(b.RowSource), 0xFFFFFFFFu, layoutRows, _stream);
        _kernels.FinishRows(Address(b.RecvIdx), Address(b.RankInExpert), Address(b.ExpertOffsets), rows, TopK, Address(b.PermutedRow),
            Address(b.RowSource), Address(b.RowSlot));
        Poison(b.LayoutRows);
        Poison(b.LayoutWeights);
        _kernels.ExpandRows(Address(b.RecvRows), Address(b.RecvWeights), Address(b.RowSource), Address(b.RowSlot), layoutRows,
            Address(b.LayoutRows), Address(b.LayoutWeights));
        return new EpDispatchResult(step, EpLayout.ExpertMajor, b.LayoutRows.SliceRows(0, layoutRows), null,
            b.LayoutWeights.SliceRows(0, layoutRows), (int[])counts.Clone(), (int[])offsets.Clone(), _tokens);
    }
}
