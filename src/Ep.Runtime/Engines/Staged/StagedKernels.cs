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

    /// <summary>Experts counted per block by the expert-count pass (EP_COUNT_GROUP in native/kernels/10_routing.cuh).</summary>
    public const int ExpertsPerCountBlock = 8;

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

    public void ValidateRouting(ulong topkIdx, int tokens, ulong error) =>
        Launch("ep_validate_routing", 1, (long)topkIdx, tokens, (long)error);

    public void ScanDestinations(ulong topkIdx, int tokens, int ranks, int localExperts, ulong position, ulong pairPosition, ulong counts) =>
        Launch("ep_scan_destinations", ranks, (long)topkIdx, tokens, ranks, localExperts, (long)position, (long)pairPosition, (long)counts);

    public void CountExperts(ulong topkIdx, int tokens, int experts, ulong expertCounts) =>
        Launch("ep_count_experts", CountBlocks(experts), (long)topkIdx, tokens, (long)expertCounts);

    /// <summary>
    /// The routing record in one launch: destination scan, expert counts and validation side by side (grid R + ⌈E / 8⌉ + 1).
    /// <paramref name="counts"/> receives [2R] rows and pairs per destination, then [E] tokens per expert.
    /// </summary>
    public void RouteRecord(ulong topkIdx, int tokens, int ranks, int localExperts, int experts, ulong position, ulong pairPosition, ulong error,
        ulong counts) =>
        Launch("ep_route_record", checked(ranks + CountBlocks(experts) + 1), (long)topkIdx, tokens, ranks, localExperts, (long)position, (long)pairPosition,
            (long)error, (long)counts);

    /// <summary>Blocks of the expert-count pass for <paramref name="experts"/> experts.</summary>
    public static int CountBlocks(int experts) => (experts + ExpertsPerCountBlock - 1) / ExpertsPerCountBlock;

    public void PackRows(ulong rows, ulong topkIdx, ulong topkWeights, int tokens, int localExperts, ulong position, ulong sendOffset,
        ulong sendRows, ulong sendIdx, ulong sendWeights) =>
        Launch("ep_pack_rows", tokens, (long)rows, (long)topkIdx, (long)topkWeights, tokens, localExperts, (long)position, (long)sendOffset,
            (long)sendRows, (long)sendIdx, (long)sendWeights);

    public void RankInExpert(ulong recvIdx, int rows, int localExperts, ulong rankInExpert) =>
        Launch("ep_rank_in_expert", localExperts, (long)recvIdx, rows, (long)rankInExpert);

    public void ScanPairs(ulong recvIdx, int rows, ulong pairStart) =>
        Launch("ep_scan_pairs", 1, (long)recvIdx, rows, (long)pairStart);

    public void FinishRows(ulong recvIdx, ulong rankInExpert, ulong expertOffset, int rows, int topK, ulong permutedRow, ulong rowSource, ulong rowSlot) =>
        Launch("ep_finish_rows", Blocks((long)rows * topK), (long)recvIdx, (long)rankInExpert, (long)expertOffset, rows,
            (long)permutedRow, (long)rowSource, (long)rowSlot);

    public void MarkRows(ulong expertOffset, ulong expertCount, int localExperts, int rows, ulong rowSource) =>
        Launch("ep_mark_rows", localExperts, (long)expertOffset, (long)expertCount, localExperts, rows, (long)rowSource);

    public void PermuteRows(ulong source, ulong permutedRow, ulong weights, int rows, ulong destination) =>
        Launch("ep_permute_rows", rows, (long)source, (long)permutedRow, (long)weights, rows, (long)destination);

    public void GatherSumRows(ulong source, ulong permutedRow, ulong weights, int rows, ulong destination) =>
        Launch("ep_gather_sum_rows", rows, (long)source, (long)permutedRow, (long)weights, rows, (long)destination);

    public void ExpandRows(ulong flatRows, ulong flatWeights, ulong rowSource, ulong rowSlot, int rows, ulong destination, ulong destinationWeights) =>
        Launch("ep_expand_rows", rows, (long)flatRows, (long)flatWeights, (long)rowSource, (long)rowSlot, rows, (long)destination,
            (long)destinationWeights);

    public void ScaleRows(ulong source, ulong rowSource, ulong weights, int rows, ulong destination) =>
        Launch("ep_scale_rows", rows, (long)source, (long)rowSource, (long)weights, rows, (long)destination);

    public void RowsToPairs(ulong source, ulong sourceWeights, ulong rowSource, ulong rowSlot, ulong pairStart, int rows,
        ulong destination, ulong destinationWeights) =>
        Launch("ep_rows_to_pairs", rows, (long)source, (long)sourceWeights, (long)rowSource, (long)rowSlot, (long)pairStart, rows,
            (long)destination, (long)destinationWeights);

    public void CombineTokens(ulong topkIdx, ulong topkWeights, int tokens, int localExperts, ulong position, ulong pairPosition,
        ulong unitOffset, bool perPair, bool weighted, ulong units, ulong unitWeights, ulong output, ulong gradWeights) =>
        Launch("ep_combine_tokens", tokens, (long)topkIdx, (long)topkWeights, tokens, localExperts, (long)position, (long)pairPosition,
            (long)unitOffset, perPair ? 1 : 0, weighted ? 1 : 0, (long)units, (long)unitWeights, (long)output, (long)gradWeights);

    public void WeightGradsFlat(ulong gradRows, ulong expertOutput, ulong permutedRow, int rows, int topK, ulong gradWeights) =>
        Launch("ep_weight_grads_flat", Blocks((long)rows * topK), (long)gradRows, (long)expertOutput, (long)permutedRow, rows, (long)gradWeights);

    public void WeightGradsRows(ulong gradRows, ulong expertOutput, ulong rowSource, int rows, ulong gradWeights) =>
        Launch("ep_weight_grads_rows", Blocks(rows), (long)gradRows, (long)expertOutput, (long)rowSource, rows, (long)gradWeights);

    private static int Blocks(long threads) => checked((int)((threads + Threads - 1) / Threads));

    private void Launch(string kernel, int blocks, params ReadOnlySpan<long> arguments) =>
        KernelLaunch.Run(_module.Function(kernel), ((uint)blocks, 1), Threads, 0, _stream, arguments);
}
