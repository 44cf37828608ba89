using System;
using System.Collections.Generic;

namespace Ep.Bench.Metrics;

/// <summary>
/// NCCL EP ep_bench's byte counts (contrib/nccl_ep/ep_bench.cu), so that our GB/s and theirs mean the same thing.
/// HT: the unique (source rank, token) pairs that reach a rank — a token with several experts on that rank counts once —
/// times H × 2 bytes (bf16), used for dispatch and combine alike. LL: the valid (token, k) selections (ids ≥ 0) times
/// H × 2, counting each selection even though the wire de-duplicates per rank.
/// </summary>
internal static class ByteFormulas
{
    /// <summary>Bytes of one bf16 row of <paramref name="hidden"/> elements.</summary>
    public static long RowBytes(int hidden) => 2L * hidden;

    /// <summary>
    /// HT: how many (source rank, token) pairs reach rank <paramref name="receiver"/>, given every rank's routing
    /// <paramref name="routing"/>[s] = [T_s, K] ids (−1 = none); expert e lives on rank e / (experts / ranks).
    /// </summary>
    public static long HighThroughputReceivedPairs(IReadOnlyList<long[]> routing, int topK, int experts, int receiver)
    {
        ArgumentNullException.ThrowIfNull(routing);
        int ranks = routing.Count;
        if (ranks == 0 || experts % ranks != 0)
        {
            throw new ArgumentException($"{experts} experts cannot be spread over {ranks} ranks.", nameof(routing));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(receiver);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(receiver, ranks);
        int localExperts = experts / ranks;
        long pairs = 0;
        foreach (long[] idx in routing)
        {
            for (long token = 0; token < idx.Length / topK; token++)
            {
                for (int k = 0; k < topK; k++)
                {
                    long expert = idx[token * topK + k];
                    if (expert >= 0 && expert / localExperts == receiver)
                    {
                        pairs++;
                        break;
                    }
                }
            }
        }

        return pairs;
    }

    /// <summary>LL: the valid selections (ids ≥ 0) of one rank's routing.</summary>
    public static long LowLatencyValidSelections(long[] idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        long count = 0;
        foreach (long expert in idx)
        {
            if (expert >= 0)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The bytes ep_bench credits to one rank's dispatch (and, the same rows returning, its combine): HT received pairs
    /// or LL valid selections of <paramref name="rank"/>, times H × 2.
    /// </summary>
    public static long BytesPerRank(EpLayerSpec spec, IReadOnlyList<long[]> routing, int rank)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(routing);
        long rows = spec.Algorithm == EpAlgorithm.LowLatency
            ? LowLatencyValidSelections(routing[rank])
            : HighThroughputReceivedPairs(routing, spec.TopK, spec.Experts, rank);
        return rows * RowBytes(spec.HiddenSize);
    }

    /// <summary>GB/s (10⁹ bytes per second) for <paramref name="bytes"/> moved in <paramref name="microseconds"/>; null without a time.</summary>
    public static double? GigabytesPerSecond(double bytes, double? microseconds) =>
        microseconds is > 0 ? bytes / 1e9 / (microseconds.Value * 1e-6) : null;
}
