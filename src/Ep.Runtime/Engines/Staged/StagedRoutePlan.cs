using System;
using System.Globalization;
using System.Numerics;

namespace Ep.Engines.Staged;

/// <summary>
/// Every rank's routing counts for one step, identical on all ranks: the sizes and offsets of every exchanged segment,
/// each rank's received layout, and the checks (routing errors, capacities) that must pass before anything is written.
/// </summary>
internal sealed class StagedRoutePlan
{
    private readonly StagedRouteSummary[] _ranks;
    private readonly EpLayerSpec _spec;
    private readonly int _alignment;

    // LowLatency: e × R·MaxTokensPerRank for every local expert, fixed for the layer (NcclEp keeps one plan per layer).
    private readonly int[]? _lowLatencyOffsets;

    public StagedRoutePlan(EpLayerSpec spec, StagedRouteSummary[] ranks)
    {
        _spec = spec;
        _ranks = ranks;
        Ranks = ranks.Length;
        LocalExperts = spec.LocalExperts(Ranks);
        LowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        ExpertMajor = LowLatency || spec.Layout == EpLayout.ExpertMajor;
        // Only HighThroughput ExpertMajor groups are padded, as in the Reference engine (ExchangePlan) and NCCL EP's
        // settings: Flat has no groups to pad (EP0019 warns that its ExpertAlignment has no effect), so its offsets
        // are the counts' prefix sums and its M their total; LowLatency's groups are fixed.
        _alignment = spec.Layout == EpLayout.ExpertMajor && !LowLatency ? spec.EffectiveAlignment : 1;
        if (LowLatency)
        {
            _lowLatencyOffsets = new int[LocalExperts];
            for (int e = 0; e < LocalExperts; e++)
            {
                _lowLatencyOffsets[e] = checked(e * LowLatencyGroupRows);
            }
        }
    }

    public int Ranks { get; }

    public int LocalExperts { get; }

    /// <summary>True for the ExpertMajor layout, which LowLatency implies.</summary>
    public bool ExpertMajor { get; }

    public bool LowLatency { get; }

    /// <summary>Rows of the fixed LowLatency group of each local expert: R × MaxTokensPerRank.</summary>
    public int LowLatencyGroupRows => checked(Ranks * _spec.MaxTokensPerRank);

    public int RowsSent(int source, int destination) => _ranks[source].RowsTo[destination];

    public int PairsSent(int source, int destination) => _ranks[source].PairsTo[destination];

    /// <summary>Rows rank <paramref name="destination"/> receives (N, Flat layout).</summary>
    public int RowsReceived(int destination)
    {
        int rows = 0;
        for (int s = 0; s < Ranks; s++)
        {
            rows = checked(rows + RowsSent(s, destination));
        }

        return rows;
    }

    /// <summary>First received row, on <paramref name="destination"/>, of the segment from <paramref name="source"/>.</summary>
    public long ReceiveOffset(int destination, int source) => ColumnPrefix(destination, source, pairs: false);

    /// <summary>First pair, in <paramref name="destination"/>'s pair order, of the pairs from <paramref name="source"/>.</summary>
    public long PairReceiveOffset(int destination, int source) => ColumnPrefix(destination, source, pairs: true);

    /// <summary>First row of <paramref name="source"/>'s send segment for <paramref name="destination"/>.</summary>
    public long SendOffset(int source, int destination) => Prefix(_ranks[source].RowsTo, destination);

    /// <summary>First pair of <paramref name="source"/>'s pairs exchanged with <paramref name="destination"/>.</summary>
    public long PairSendOffset(int source, int destination) => Prefix(_ranks[source].PairsTo, destination);

    /// <summary>
    /// Dispatch's and CombineBackward's segments on <paramref name="rank"/>: its rows for each destination (in the
    /// order of its send buffer), landing after the rows of lower source ranks there.
    /// </summary>
    public StagedPeerSegment[] ForwardSegments(int rank)
    {
        var segments = new StagedPeerSegment[Ranks];
        for (int peer = 0; peer < Ranks; peer++)
        {
            segments[peer] = new StagedPeerSegment(SendOffset(rank, peer), RowsSent(rank, peer), ReceiveOffset(peer, rank),
                ReceiveOffset(rank, peer), RowsSent(peer, rank));
        }

        return segments;
    }

    /// <summary>
    /// Combine's and DispatchBackward's segments on <paramref name="rank"/>: the units it received from each source
    /// go back to where that source sent them from (rows in Flat, (token, expert) pairs in the expert-major layouts).
    /// </summary>
    public StagedPeerSegment[] ReturnSegments(int rank, bool perPair)
    {
        var segments = new StagedPeerSegment[Ranks];
        for (int peer = 0; peer < Ranks; peer++)
        {
            segments[peer] = perPair
                ? new StagedPeerSegment(PairReceiveOffset(rank, peer), PairsSent(peer, rank), PairSendOffset(peer, rank),
                    PairSendOffset(rank, peer), PairsSent(rank, peer))
                : new StagedPeerSegment(ReceiveOffset(rank, peer), RowsSent(peer, rank), SendOffset(peer, rank),
                    SendOffset(rank, peer), RowsSent(rank, peer));
        }

        return segments;
    }

    /// <summary>Real rows per local expert of <paramref name="rank"/> (padding excluded).</summary>
    public int[] ExpertCounts(int rank)
    {
        var counts = new int[LocalExperts];
        ExpertCounts(rank, counts);
        return counts;
    }

    /// <summary><see cref="ExpertCounts(int)"/> into <paramref name="counts"/> ([L]), allocating nothing.</summary>
    public void ExpertCounts(int rank, Span<int> counts)
    {
        // Source by source over contiguous spans, SIMD-wide: this runs in every Dispatch (L = 256 at ep_bench's sizes,
        // where an element-wise checked sum took 0.2 µs on the development machine: Ep.Bench --route-plan). No sum can
        // overflow once the routing is valid (this runs after ThrowIfInvalid): a source
        // sends an expert each of its T ≤ MaxTokensPerRank tokens at most once (a repeat is a routing error, thrown
        // before this), so a count is at most Ranks × MaxTokensPerRank, the LowLatency group size, an int.
        _ranks[0].ExpertCounts.AsSpan(rank * LocalExperts, counts.Length).CopyTo(counts);
        for (int s = 1; s < _ranks.Length; s++)
        {
            ReadOnlySpan<int> fromSource = _ranks[s].ExpertCounts.AsSpan(rank * LocalExperts, counts.Length);
            int e = 0;
            for (; e <= counts.Length - Vector<int>.Count; e += Vector<int>.Count)
            {
                (new Vector<int>(counts[e..]) + new Vector<int>(fromSource[e..])).CopyTo(counts[e..]);
            }

            for (; e < counts.Length; e++)
            {
                counts[e] += fromSource[e];
            }
        }
    }

    /// <summary>Real rows of local expert <paramref name="localExpert"/> on <paramref name="rank"/>, from every source.</summary>
    public int ExpertCount(int rank, int localExpert)
    {
        int count = 0;
        foreach (StagedRouteSummary source in _ranks)
        {
            count = checked(count + source.ExpertCounts[rank * LocalExperts + localExpert]);
        }

        return count;
    }

    /// <summary>First row of each local expert's group in the expert-major order of the layout, and the total rows M.</summary>
    public (int[] Offsets, int Rows) ExpertOffsets(int[] counts)
    {
        var offsets = new int[counts.Length];
        return (offsets, ExpertOffsets(counts, offsets));
    }

    /// <summary><see cref="ExpertOffsets(int[])"/> into <paramref name="offsets"/> ([L]), allocating nothing; returns M.</summary>
    public int ExpertOffsets(ReadOnlySpan<int> counts, Span<int> offsets)
    {
        // Runs in every Dispatch: the total is checked once at the end (every partial sum is below it).
        offsets = offsets[..counts.Length]; // one length for both: no bounds check inside the loops
        if (_lowLatencyOffsets is not null)
        {
            // LowLatency's groups never move: copied (a fifth of the loop's time on the development machine).
            _lowLatencyOffsets.AsSpan(0, offsets.Length).CopyTo(offsets);
            return checked(offsets.Length * LowLatencyGroupRows);
        }

        // Two loops rather than Padded's test in one: the loop without alignment took a third of the time
        // (`Ep.Bench --route-plan --layer ht-flat` on the development machine: 0.2 against 0.8 µs).
        long next = 0;
        if (_alignment == 1)
        {
            for (int e = 0; e < offsets.Length; e++)
            {
                offsets[e] = (int)next;
                next += counts[e];
            }
        }
        else
        {
            for (int e = 0; e < offsets.Length; e++)
            {
                offsets[e] = (int)next;
                next += Padded(counts[e]);
            }
        }

        return checked((int)next);
    }

    /// <summary>Throws, identically on every rank, the lowest (rank, token, slot) routing error, then the lowest rank's capacity overflow.</summary>
    public void ThrowIfInvalid()
    {
        for (int rank = 0; rank < Ranks; rank++)
        {
            if (_ranks[rank].Error is { } error)
            {
                throw RoutingException(rank, error);
            }
        }

        // LowLatency's fixed groups cannot overflow once the routing is valid: a source sends an expert each of its
        // T ≤ MaxTokensPerRank tokens at most once, so no group gets more than Ranks × MaxTokensPerRank rows. (The
        // per-expert check this replaced never fired, and took 0.8–1.2 µs of every Dispatch at one rank and 5 µs at
        // eight on the development machine: Ep.Bench --route-plan.)
        if (LowLatency)
        {
            return;
        }

        // Counted in place (no per-rank arrays): this runs in every Dispatch, before anything moves.
        long flatCapacity = _spec.RecvCapacity(Ranks);
        for (int d = 0; d < Ranks; d++)
        {
            long rows = 0;
            for (int s = 0; s < Ranks; s++)
            {
                rows += RowsSent(s, d);
            }

            if (rows > flatCapacity)
            {
                throw new EpCapacityException(d, rows, flatCapacity, "RecvCapacityPerRank");
            }

            if (ExpertMajor)
            {
                long padded = 0;
                for (int e = 0; e < LocalExperts; e++)
                {
                    padded += Padded(ExpertCount(d, e));
                }

                long capacity = _spec.ExpertMajorCapacity(Ranks);
                if (padded > capacity)
                {
                    throw new EpCapacityException(d, padded, capacity, "ExpertMajor capacity");
                }
            }
        }
    }

    /// <summary>Σ over sources s &lt; <paramref name="count"/> of the rows (or pairs) s sends to <paramref name="destination"/>: plain loops, no delegate per call.</summary>
    private long ColumnPrefix(int destination, int count, bool pairs)
    {
        long total = 0;
        for (int s = 0; s < count; s++)
        {
            total += pairs ? PairsSent(s, destination) : RowsSent(s, destination);
        }

        return total;
    }

    private static long Prefix(int[] values, int count)
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            total += values[i];
        }

        return total;
    }

    /// <summary>
    /// <paramref name="count"/> rounded up to the layer's alignment. Runs for every local expert in every Dispatch (the
    /// offsets and the capacity check), and most layers have no alignment: no division then.
    /// </summary>
    private long Padded(int count) => _alignment == 1 ? count : (count + (long)_alignment - 1) / _alignment * _alignment;

    private EpRoutingException RoutingException(int rank, StagedRoutingError error) => error.ToException(rank, _spec.Experts);
}
