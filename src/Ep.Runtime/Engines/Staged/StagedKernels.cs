using System;
using System.Collections.Concurrent;
using Ep.Interop.Cuda;
using Ep.Kernels;

namespace Ep.Engines.Staged;

/// <summary>
/// Typed launchers for the kernels of <c>native/kernels</c> (see its README for each kernel's contract), on one rank's
/// stream. Every kernel runs 256 threads per block; pointers and sizes travel in 8-byte argument slots.
/// </summary>
internal sealed class StagedKernels
{
    private const uint Threads = 256;

    // One module per distinct layer source, shared by every rank (and every layer instance) of the process: a simulated
    // world compiles once, not once per rank. Modules stay loaded for the life of the process, like the disk cache.
    private static readonly ConcurrentDictionary<string, Lazy<KernelModule>> Modules = new(StringComparer.Ordinal);

    private readonly KernelModule _module;
    private readonly CudaStreamHandle _stream;

    public StagedKernels(KernelModule module, CudaStreamHandle stream)
    {
        _module = module;
        _stream = stream;
    }

    /// <summary>The loaded module for <paramref name="source"/>, compiled (or read from the disk cache) on first use.</summary>
    public static KernelModule Load(string source, string layerName, CudaDevice device)
    {
        var created = new Lazy<KernelModule>(() => KernelLoader.Load(source, layerName + ".cu", device, KernelCache.FromEnvironment()));
        Lazy<KernelModule> module = Modules.GetOrAdd(source, created);
        try
        {
            return module.Value;
        }
        catch
        {
            // A failed compile is not cached: the next layer instance tries again (and reports its own error).
            Modules.TryRemove(new System.Collections.Generic.KeyValuePair<string, Lazy<KernelModule>>(source, module));
            throw;
        }
    }

    /// <summary>
    /// <c>ep_sanitize_routing</c>: a captured step's device-only routing check (see the kernel), one thread per (token,
    /// slot) of <paramref name="paddedTokens"/> rows of <paramref name="topK"/> slots, each block writing a four-word
    /// record at <paramref name="error"/> (<see cref="EntryBlocks"/> of them).
    /// <paramref name="heldRows"/>: the device word saying how many rows of <paramref name="sanitizedIdx"/> NCCL EP's
    /// handle was built from (the records' last word then says whether to rebuild it); 0 when the step always rebuilds.
    /// <paramref name="counts"/>: E ints, zero, to which it adds the entries it keeps per expert (0: none).
    /// </summary>
    public void SanitizeRouting(ulong topkIdx, ulong topkWeights, int tokens, int paddedTokens, int topK, ulong sanitizedIdx, ulong sanitizedWeights,
        ulong error, ulong heldRows, ulong counts = 0) =>
        Launch("ep_sanitize_routing", EntryBlocks(paddedTokens, topK), (long)topkIdx, (long)topkWeights, tokens, paddedTokens, (long)sanitizedIdx,
            (long)sanitizedWeights, (long)error, (long)heldRows, (long)counts);

    /// <summary>
    /// A captured LowLatency step at one rank: <see cref="SanitizeRouting"/> (without counts) and, in the same launch, the
    /// clear of each of the <paramref name="localExperts"/> groups of <paramref name="groupRows"/> rows at
    /// <paramref name="rows"/> past the rows this step's ids fill (<c>ep_sanitize_routing_clearing_groups</c>), updating
    /// the rows-filled row at <paramref name="filledRows"/>.
    /// </summary>
    public void SanitizeRoutingClearingGroups(ulong topkIdx, ulong topkWeights, int tokens, int paddedTokens, int topK, ulong sanitizedIdx,
        ulong sanitizedWeights, ulong error, int localExperts, int groupRows, ulong filledRows, ulong rows) =>
        Launch("ep_sanitize_routing_clearing_groups", EntryBlocks(paddedTokens, topK) + localExperts, (long)topkIdx, (long)topkWeights, tokens,
            paddedTokens, (long)sanitizedIdx, (long)sanitizedWeights, (long)error, groupRows, (long)filledRows, (long)rows);

    /// <summary>
    /// Blocks of a kernel that runs a thread per (token, slot) over <paramref name="tokens"/> rows of
    /// <paramref name="topK"/> slots (the kernels' EP_ENTRY_TOKENS = ⌊256 / K⌋ rows per block): the error records of
    /// <see cref="SanitizeRouting"/>, the summary blocks of <see cref="RouteRecord"/>.
    /// </summary>
    public static int EntryBlocks(int tokens, int topK)
    {
        int rowsPerBlock = (int)Threads / topK;
        return (tokens + rowsPerBlock - 1) / rowsPerBlock;
    }

    public void ScanDestinations(ulong topkIdx, int tokens, int ranks, int localExperts, ulong position, ulong pairPosition, ulong counts) =>
        Launch("ep_scan_destinations", ranks, (long)topkIdx, tokens, ranks, localExperts, (long)position, (long)pairPosition, (long)counts);

    /// <summary>
    /// The routing record (<see cref="StagedRouteRecord"/>) in one launch, into the record whose turn it is of
    /// <paramref name="records"/>: validation, rows and pairs per destination, expert counts and the comparison with
    /// <paramref name="heldIdx"/> (0: nothing held), a thread per (token, slot). With <paramref name="position"/> (0: none,
    /// as NcclEp passes) also every destination's send positions, which the Staged engine's pack reads (one block per
    /// destination rank beside the others). With <paramref name="copies"/> it also copies the ids and weights there (a
    /// rank without tokens: the stand-in token's, see NcclEpLayer.NcclEpTokens). Returns the address of the record written.
    /// </summary>
    public ulong RouteRecord(ulong topkIdx, int tokens, int topK, int ranks, int localExperts, ulong position, ulong pairPosition,
        StagedRouteRecordTurns records, ulong heldIdx, RoutingCopies copies = default)
    {
        (ulong record, ulong next) = records.Take();
        Launch("ep_route_record", RouteRecordBlocks(tokens, topK, ranks, scansPositions: position != 0), (long)topkIdx, tokens, ranks, localExperts,
            (long)position, (long)pairPosition, (long)record, (long)next, records.Words, (long)heldIdx, (long)copies.TopkWeights,
            (long)copies.IdxCopy, (long)copies.WeightsCopy);
        return record;
    }

    /// <summary>
    /// Where <see cref="RouteRecord"/> copies the ids (<paramref name="IdxCopy"/>) and the caller's weights
    /// (<paramref name="TopkWeights"/>, into <paramref name="WeightsCopy"/>); 0 for either copy it skips.
    /// </summary>
    public readonly record struct RoutingCopies(ulong IdxCopy, ulong TopkWeights, ulong WeightsCopy);

    /// <summary>
    /// Blocks of <see cref="RouteRecord"/>: a scan per destination when it scans positions (first, as they take longest),
    /// then the summary's, at least one so that a step with no tokens still writes its record.
    /// </summary>
    public static int RouteRecordBlocks(int tokens, int topK, int ranks, bool scansPositions) =>
        checked(Math.Max(EntryBlocks(tokens, topK), 1) + (scansPositions ? ranks : 0));

    public void PackRows(ulong rows, ulong topkIdx, ulong topkWeights, int tokens, int localExperts, ulong position, ulong sendOffset,
        ulong sendRows, ulong sendIdx, ulong sendWeights) =>
        Launch("ep_pack_rows", tokens, (long)rows, (long)topkIdx, (long)topkWeights, tokens, localExperts, (long)position, (long)sendOffset,
            (long)sendRows, (long)sendIdx, (long)sendWeights);

    /// <summary>
    /// Each (row, slot)'s rank within its local expert, by tiles of rows (<see cref="RankTiles"/>): each tile's rows per
    /// expert into <paramref name="tileCounts"/> ([RankTiles(rows), L] ints), then each entry's rank from the tiles before
    /// its own and the rows before it in its own. <paramref name="rowCount"/>: see <see cref="PermuteRows"/>. With
    /// <paramref name="expertCount"/> also each local expert's total (a captured step's counts, which exist only on the device).
    /// </summary>
    public void RankInExpert(ulong recvIdx, int rows, int localExperts, ulong rankInExpert, ulong tileCounts, ulong rowCount = 0, ulong expertCount = 0)
    {
        int tiles = RankTiles(rows);
        if (tiles > 0)
        {
            Launch("ep_count_expert_tiles", tiles, (long)recvIdx, rows, localExperts, (long)tileCounts, (long)rowCount);
        }

        // With no rows, one block still writes the captured step's zero counts.
        if (tiles > 0 || expertCount != 0)
        {
            Launch("ep_rank_in_expert", Math.Max(tiles, 1), (long)recvIdx, rows, localExperts, (long)tileCounts, (long)rankInExpert, (long)rowCount,
                (long)expertCount);
        }
    }

    /// <summary>Tiles of rows <see cref="RankInExpert"/> works in (<c>EP_RANK_TILE_ROWS</c>, one block each); its tile counts hold this many rows of L ints.</summary>
    public static int RankTiles(int rows) => (int)((rows + Threads - 1) / Threads);

    public void ScanPairs(ulong recvIdx, int rows, ulong pairStart) =>
        Launch("ep_scan_pairs", 1, (long)recvIdx, rows, (long)pairStart);

    /// <summary>m(n, j) from the ranks and offsets; <paramref name="rowCount"/>: see <see cref="PermuteRows"/>.</summary>
    public void FinishRows(ulong recvIdx, ulong rankInExpert, ulong expertOffset, int rows, int topK, ulong permutedRow, ulong rowSource, ulong rowSlot,
        ulong rowCount = 0) =>
        Launch("ep_finish_rows", Blocks((long)rows * topK), (long)recvIdx, (long)rankInExpert, (long)expertOffset, rows,
            (long)permutedRow, (long)rowSource, (long)rowSlot, (long)rowCount);

    /// <summary>Flat groups' first rows from device counts (exclusive prefix sum, one block): a captured HighThroughput step's layout.</summary>
    public void GroupOffsets(ulong expertCount, int localExperts, ulong expertOffset) =>
        Launch("ep_group_offsets", 1, (long)expertCount, localExperts, (long)expertOffset);

    public void MarkRows(ulong expertOffset, ulong expertCount, int localExperts, int rows, ulong rowSource) =>
        Launch("ep_mark_rows", localExperts, (long)expertOffset, (long)expertCount, localExperts, rows, (long)rowSource);

    /// <summary>
    /// LowLatency groups: zeroes the rows the previous step filled and this one does not (see ep_clear_vacated_rows), on
    /// <paramref name="stream"/> when given (NcclEp's eager branch beside NCCL EP's dispatch), else the layer's.
    /// </summary>
    public void ClearVacatedRows(ulong expertOffset, ulong expertCount, int localExperts, ulong filledRows, ulong rows, CudaStreamHandle? stream = null) =>
        LaunchOn(stream ?? _stream, "ep_clear_vacated_rows", localExperts, (long)expertOffset, (long)expertCount, (long)filledRows, (long)rows);

    /// <summary>
    /// LowLatency groups, before NCCL EP's dispatch: zeroes the rows past each group's count taken from every rank's
    /// gathered counts (see ep_clear_rows_past_counts), then zeroes this rank's counts at <paramref name="localCounts"/>.
    /// On <paramref name="stream"/>, not the layer's: a captured step's branch beside NCCL EP's dispatch.
    /// </summary>
    public void ClearRowsPastCounts(CudaStreamHandle stream, ulong expertOffset, ulong gathered, int ranks, long rankWords, long countsAt, int firstExpert,
        ulong localCounts, int localExperts, ulong filledRows, ulong rows) =>
        LaunchOn(stream, "ep_clear_rows_past_counts", localExperts, (long)expertOffset, (long)gathered, ranks, rankWords, countsAt, firstExpert,
            (long)localCounts, (long)filledRows, (long)rows);

    /// <summary>
    /// Copies (or weights) each received row to its permuted rows. <paramref name="rows"/> sizes the grid; a captured
    /// step, sized for the receive capacity, passes the address of the step's real row count as <paramref name="rowCount"/>
    /// (0 in eager steps, where <paramref name="rows"/> is exact).
    /// </summary>
    public void PermuteRows(ulong source, ulong permutedRow, ulong weights, int rows, ulong destination, ulong rowCount = 0) =>
        Launch("ep_permute_rows", rows, (long)source, (long)permutedRow, (long)weights, rows, (long)destination, (long)rowCount);

    /// <summary>Sums (weighted or not) each received row's permuted rows; <paramref name="rowCount"/>: see <see cref="PermuteRows"/>.</summary>
    public void GatherSumRows(ulong source, ulong permutedRow, ulong weights, int rows, ulong destination, ulong rowCount = 0) =>
        Launch("ep_gather_sum_rows", rows, (long)source, (long)permutedRow, (long)weights, rows, (long)destination, (long)rowCount);

    /// <summary>Expert-major rows from flat ones; padding rows are zeroed unless <paramref name="zeroPadding"/> is false (LowLatency's groups: see <see cref="ClearVacatedRows"/>).</summary>
    public void ExpandRows(ulong flatRows, ulong flatWeights, ulong rowSource, ulong rowSlot, int rows, ulong destination, ulong destinationWeights,
        bool zeroPadding = true) =>
        Launch("ep_expand_rows", rows, (long)flatRows, (long)flatWeights, (long)rowSource, (long)rowSlot, rows, (long)destination,
            (long)destinationWeights, zeroPadding ? 1 : 0);

    /// <summary>
    /// Expert-major rows scaled by their weights (copied when weights is 0); padding rows (rowSource −1; none when
    /// rowSource is 0) are zeroed. <paramref name="rowCount"/>: see <see cref="PermuteRows"/>.
    /// </summary>
    public void ScaleRows(ulong source, ulong rowSource, ulong weights, int rows, ulong destination, ulong rowCount = 0) =>
        Launch("ep_scale_rows", rows, (long)source, (long)rowSource, (long)weights, rows, (long)destination, (long)rowCount);

    /// <summary>
    /// LowLatency's fixed groups: copies each group's first count[e] rows (see ep_copy_group_rows), <paramref name="slices"/>
    /// blocks per group; padding rows are not touched.
    /// </summary>
    public void CopyGroupRows(ulong source, ulong expertOffset, ulong expertCount, int localExperts, int slices, ulong destination) =>
        Launch("ep_copy_group_rows", checked(localExperts * slices), (long)source, (long)expertOffset, (long)expertCount, slices, (long)destination);

    public void RowsToPairs(ulong source, ulong sourceWeights, ulong rowSource, ulong rowSlot, ulong pairStart, int rows,
        ulong destination, ulong destinationWeights) =>
        Launch("ep_rows_to_pairs", rows, (long)source, (long)sourceWeights, (long)rowSource, (long)rowSlot, (long)pairStart, rows,
            (long)destination, (long)destinationWeights);

    /// <summary>
    /// Sums the rows returned for each token (Combine, DispatchBackward). tokensPerBlock: the tokens each block
    /// combines, 1 to <see cref="MaxTokensPerCombineBlock"/>; null picks <see cref="CombineTokensPerBlock"/>.
    /// </summary>
    public void CombineTokens(ulong topkIdx, ulong topkWeights, int tokens, int localExperts, ulong position, ulong pairPosition,
        ulong unitOffset, bool perPair, bool weighted, ulong units, ulong unitWeights, ulong output, ulong gradWeights, int? tokensPerBlock = null)
    {
        int perBlock = tokensPerBlock ?? CombineTokensPerBlock(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(perBlock, 1, nameof(tokensPerBlock));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(perBlock, MaxTokensPerCombineBlock, nameof(tokensPerBlock));
        Launch("ep_combine_tokens", (tokens + perBlock - 1) / perBlock, (long)topkIdx, (long)topkWeights, tokens, localExperts, (long)position,
            (long)pairPosition, (long)unitOffset, perPair ? 1 : 0, weighted ? 1 : 0, (long)units, (long)unitWeights, (long)output, (long)gradWeights,
            perBlock);
    }

    /// <summary>
    /// Tokens per block of <c>ep_combine_tokens</c>: the most (up to <see cref="MaxTokensPerCombineBlock"/>) that
    /// still leaves <see cref="MinCombineBlocks"/> blocks, so each block shares its routing prologue among as many
    /// rows as the grid can spare. Measured on an H100 at 4096 tokens (bench/RESULTS.md, run 5, four runs): 4 tokens per
    /// block (1024 blocks) 50.5–51.9 µs, 8 (512 blocks, under one wave at 4 resident blocks per SM) 52.0–53.4, 1
    /// 54.9–56.5; a LowLatency batch of 128 tokens keeps one per block.
    /// </summary>
    public static int CombineTokensPerBlock(int tokens)
    {
        if (CombineTokensPerBlockOverride is { } forced)
        {
            return forced;
        }

        int perBlock = MaxTokensPerCombineBlock;
        while (perBlock > 1 && (tokens + perBlock - 1) / perBlock < MinCombineBlocks)
        {
            perBlock /= 2;
        }

        return perBlock;
    }

    /// <summary>Blocks <see cref="CombineTokensPerBlock"/> keeps at least: about two waves of a 132-SM GPU at 4 blocks per SM.</summary>
    public const int MinCombineBlocks = 1024;

    /// <summary>EP_COMBINE_TOKENS in native/kernels/50_combine.cuh.</summary>
    public const int MaxTokensPerCombineBlock = 8;

    /// <summary>Set by the GPU tests to run the several-tokens path on small layers; null in normal use.</summary>
    internal static int? CombineTokensPerBlockOverride { get; set; }

    public void WeightGradsFlat(ulong gradRows, ulong expertOutput, ulong permutedRow, int rows, int topK, ulong gradWeights, ulong rowCount = 0) =>
        Launch("ep_weight_grads_flat", WeightGradBlocks((long)rows * topK), (long)gradRows, (long)expertOutput, (long)permutedRow, rows, (long)gradWeights,
            (long)rowCount);

    public void WeightGradsRows(ulong gradRows, ulong expertOutput, ulong rowSource, int rows, ulong gradWeights, ulong rowCount = 0) =>
        Launch("ep_weight_grads_rows", WeightGradBlocks(rows), (long)gradRows, (long)expertOutput, (long)rowSource, rows, (long)gradWeights, (long)rowCount);

    /// <summary>Blocks of a weight-gradient kernel for <paramref name="dots"/> dot products: EP_DOT_LANES (32) threads each.</summary>
    public static int WeightGradBlocks(long dots) => Blocks(dots * RowMath.DotLanes);

    private static int Blocks(long threads) => checked((int)((threads + Threads - 1) / Threads));

    private void Launch(string kernel, int blocks, params ReadOnlySpan<long> arguments) => LaunchOn(_stream, kernel, blocks, arguments);

    private void LaunchOn(CudaStreamHandle stream, string kernel, int blocks, params ReadOnlySpan<long> arguments) =>
        KernelLaunch.Run(_module.Function(kernel), ((uint)blocks, 1), Threads, 0, stream, arguments);
}
