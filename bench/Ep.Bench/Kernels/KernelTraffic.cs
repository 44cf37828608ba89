using System;
using Ep.Engines.Staged;

namespace Ep.Bench.Kernels;

/// <summary>Bytes a kernel must read and write in one call: the least memory traffic its result needs.</summary>
/// <param name="ReadBytes">Bytes read (every input row once, plus the index and weight arrays it consults).</param>
/// <param name="WriteBytes">Bytes written.</param>
internal sealed record KernelBytes(long ReadBytes, long WriteBytes)
{
    /// <summary>Read + written: the traffic an effective bandwidth divides by time.</summary>
    public long TotalBytes => ReadBytes + WriteBytes;
}

/// <summary>The sizes one rank's routing gives the kernels (one rank: everything it routes, it receives).</summary>
/// <param name="Tokens">T, tokens on the rank.</param>
/// <param name="ReceivedRows">N, (source rank, token) rows received: at one rank, the tokens with at least one valid id.</param>
/// <param name="Pairs">M, (row, local expert) pairs = expert-major rows (no alignment padding): the valid selections.</param>
/// <param name="TopK">K.</param>
/// <param name="Hidden">H (bf16 elements per row).</param>
internal sealed record KernelCounts(int Tokens, int ReceivedRows, int Pairs, int TopK, int Hidden)
{
    /// <summary>Counts for one rank's routing [T, K] (ids &lt; 0 are dropped selections).</summary>
    public static KernelCounts OneRank(long[] topkIdx, int topK, int hidden)
    {
        ArgumentNullException.ThrowIfNull(topkIdx);
        int tokens = topkIdx.Length / topK, rows = 0, pairs = 0;
        for (int t = 0; t < tokens; t++)
        {
            int valid = 0;
            for (int k = 0; k < topK; k++)
            {
                valid += topkIdx[t * topK + k] >= 0 ? 1 : 0;
            }

            rows += valid > 0 ? 1 : 0;
            pairs += valid;
        }

        return new KernelCounts(tokens, rows, pairs, topK, hidden);
    }
}

/// <summary>
/// The bytes each generated kernel must move (native/kernels/README.md gives each kernel's arguments), as a function of
/// the routing's counts. Rows are bf16 (H × 2 bytes), routing ids int64, weights fp32, indices int32. A row read by
/// several threads counts once: the floor is what DRAM must serve, not what the caches serve.
/// </summary>
internal static class KernelTraffic
{
    private const int Id = sizeof(long), Weight = sizeof(float), Index = sizeof(int);

    /// <summary>
    /// ep_scan_destinations at one rank (the Staged engine's send positions): reads the ids [T, K] once and writes a
    /// position and a pair position per token and destination. Small and latency-bound, as the routing record: their time,
    /// not their bandwidth, is what Dispatch pays before anything moves.
    /// </summary>
    public static KernelBytes Routing(KernelCounts c, long writtenBytes)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.Tokens * c.TopK * (long)Id, writtenBytes);
    }

    /// <summary>
    /// ep_route_record: the [T, K] ids, read once, and with <paramref name="comparesHeld"/> (a NcclEp HighThroughput layer
    /// that holds its handle's ids) the held ids it compares them with (the Staged variant, which also scans send positions,
    /// holds none and reads the ids again, from L2 at these sizes; counted once, as unique bytes). As the NcclEp engine
    /// runs it, it also copies the [T, K] weights (read and written) and, with <paramref name="copiesIds"/>, the ids
    /// (written: they were read anyway) into the layer's own tables.
    /// </summary>
    public static KernelBytes RouteRecord(KernelCounts c, long writtenBytes, bool comparesHeld, bool copiesWeights, bool copiesIds)
    {
        ArgumentNullException.ThrowIfNull(c);
        long entries = (long)c.Tokens * c.TopK;
        long weights = copiesWeights ? entries * Weight : 0, ids = copiesIds ? entries * Id : 0;
        return new KernelBytes((comparesHeld ? 2 : 1) * entries * Id + weights, writtenBytes + weights + ids);
    }

    /// <summary>
    /// ep_sanitize_routing (a captured step's routing check): reads ids and weights [T, K] and, as a HighThroughput step
    /// compares them with the ids its handle holds, the layer's previous ids [T, K]; writes ids and weights again (bad
    /// entries −1 and 0) and a four-word record per block of ⌊256 / K⌋ tokens.
    /// </summary>
    public static KernelBytes Sanitize(KernelCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        long ids = (long)c.Tokens * c.TopK * Id, table = ids + (long)c.Tokens * c.TopK * Weight;
        return new KernelBytes(table + ids, table + StagedKernels.EntryBlocks(c.Tokens, c.TopK) * 4L * Id);
    }

    /// <summary>
    /// ep_pack_rows with ids and weights (Dispatch): reads the N tokens that go anywhere, idx and weights [T, K] and the
    /// position table [R·T]; writes N rows, each with K local ids and K weights.
    /// </summary>
    public static KernelBytes Pack(KernelCounts c, int ranks = 1)
    {
        ArgumentNullException.ThrowIfNull(c);
        long row = Row(c), meta = (long)c.TopK * (Id + Weight);
        return new KernelBytes(c.ReceivedRows * row + c.Tokens * meta + (long)ranks * c.Tokens * Index, c.ReceivedRows * (row + meta));
    }

    /// <summary>ep_permute_rows (Flat Permute): reads N rows and m(n, j) [N·K] (and the weights when weighted); writes M rows.</summary>
    public static KernelBytes Permute(KernelCounts c, bool weighted)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.ReceivedRows * Row(c) + Slots(c) * (Index + (weighted ? Weight : 0)), c.Pairs * Row(c));
    }

    /// <summary>ep_gather_sum_rows (Flat Unpermute): reads M rows and m(n, j) (and the weights when weighted); writes N rows.</summary>
    public static KernelBytes GatherSum(KernelCounts c, bool weighted)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.Pairs * Row(c) + Slots(c) * (Index + (weighted ? Weight : 0)), c.ReceivedRows * Row(c));
    }

    /// <summary>
    /// ep_expand_rows (expert-major Dispatch): reads, per expert-major row, its source and slot and the Flat row and
    /// weight behind it; writes M rows and M weights. A Flat row behind several expert-major rows is read for each (the
    /// kernel has no other way to place it).
    /// </summary>
    public static KernelBytes Expand(KernelCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.Pairs * (Row(c) + 2L * Index + Weight), c.Pairs * (Row(c) + Weight));
    }

    /// <summary>ep_copy_group_rows (LowLatency Unpermute): reads M rows (and two integers per group); writes M rows.</summary>
    public static KernelBytes GroupCopy(KernelCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.Pairs * Row(c), c.Pairs * Row(c));
    }

    /// <summary>ep_scale_rows (expert-major Unpermute / PermuteBackward): reads M rows and their sources (and weights); writes M rows.</summary>
    public static KernelBytes Scale(KernelCounts c, bool weighted)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.Pairs * (Row(c) + Index + (weighted ? Weight : 0)), c.Pairs * Row(c));
    }

    /// <summary>
    /// ep_combine_tokens (Flat Combine): reads the N returned rows, idx and weights [T, K] and both position tables
    /// [R·T]; writes T output rows.
    /// </summary>
    public static KernelBytes Combine(KernelCounts c, int ranks = 1)
    {
        ArgumentNullException.ThrowIfNull(c);
        long meta = (long)c.Tokens * c.TopK * (Id + Weight) + 2L * ranks * c.Tokens * Index;
        return new KernelBytes(c.ReceivedRows * Row(c) + meta, c.Tokens * Row(c));
    }

    /// <summary>
    /// ep_rows_to_pairs (expert-major Combine and DispatchBackward on the Staged engine): reads M rows with their source,
    /// slot and the source's first pair (and weights when given); writes M rows (and weights) in pair order.
    /// </summary>
    public static KernelBytes RowsToPairs(KernelCounts c, bool weighted)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(c.Pairs * (Row(c) + 3 * Index + (weighted ? Weight : 0)), c.Pairs * (Row(c) + (weighted ? Weight : 0)));
    }

    /// <summary>
    /// ep_count_expert_tiles + ep_rank_in_expert, then ep_finish_rows (Flat Permute's m(n, j), once per step): the
    /// first pair reads the received ids [N, K] twice (the tiles' counts, then the ranks) and writes each slot's rank
    /// within its expert (the per-tile counts, ⌈N/256⌉ × L ints, are left out: a few KB); the second reads the ids, those
    /// ranks and the L offsets and writes m(n, j) [N·K]. Index work of a few hundred KB: latency-bound, like the routing
    /// kernels.
    /// </summary>
    public static KernelBytes RankInExpert(KernelCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(2 * Slots(c) * Id, Slots(c) * Index);
    }

    /// <inheritdoc cref="RankInExpert"/>
    public static KernelBytes FinishRows(KernelCounts c, int localExperts)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes(Slots(c) * (Id + Index) + (long)localExperts * Index, Slots(c) * Index);
    }

    /// <summary>ep_weight_grads_flat (Flat UnpermuteBackward): reads dz [N] rows, the M expert outputs and m(n, j); writes dW [N·K] fp32.</summary>
    public static KernelBytes WeightGradsFlat(KernelCounts c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new KernelBytes((c.ReceivedRows + (long)c.Pairs) * Row(c) + Slots(c) * Index, Slots(c) * Weight);
    }

    /// <summary>Bytes of one bf16 row.</summary>
    private static long Row(KernelCounts c) => 2L * c.Hidden;

    /// <summary>N × K (row, slot) entries.</summary>
    private static long Slots(KernelCounts c) => (long)c.ReceivedRows * c.TopK;
}
