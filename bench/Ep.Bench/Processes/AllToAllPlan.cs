using System;
using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Metrics;

namespace Ep.Bench.Processes;

/// <summary>
/// What a plain NCCL all-to-all moves for one rank, the way a user without an EP library would exchange HT tokens: to each
/// destination rank, one copy of every local token routed to at least one expert on that rank (a token is duplicated per
/// destination, as HT Dispatch does; the rank itself included, as <c>all_to_all</c> does), packed by destination.
/// </summary>
/// <param name="Rank">This rank.</param>
/// <param name="SendRows">Rows sent to each rank, indexed by destination.</param>
/// <param name="ReceiveRows">Rows received from each rank, indexed by source (their sum is ep_bench's HT received pairs).</param>
/// <param name="RowBytes">Bytes of one bf16 row (H × 2).</param>
internal sealed record AllToAllPlan(int Rank, IReadOnlyList<long> SendRows, IReadOnlyList<long> ReceiveRows, long RowBytes)
{
    /// <summary>Ranks in the world.</summary>
    public int Ranks => SendRows.Count;

    /// <summary>Bytes this rank receives: ep_bench's HT bytes for the rank.</summary>
    public long ReceiveBytes => ReceiveRows.Sum() * RowBytes;

    /// <summary>Bytes this rank sends.</summary>
    public long SendBytes => SendRows.Sum() * RowBytes;

    /// <summary>Row offset of each destination's segment in the packed send buffer.</summary>
    public long[] SendOffsets => Offsets(SendRows);

    /// <summary>Row offset of each source's segment in the receive buffer.</summary>
    public long[] ReceiveOffsets => Offsets(ReceiveRows);

    /// <summary>
    /// The plan of <paramref name="rank"/> from every rank's routing (<paramref name="routing"/>[s] = [T_s, K] expert ids,
    /// −1 = none; expert e lives on rank e / (experts / ranks)).
    /// </summary>
    public static AllToAllPlan FromRouting(IReadOnlyList<long[]> routing, int topK, int experts, int hidden, int rank)
    {
        ArgumentNullException.ThrowIfNull(routing);
        int ranks = routing.Count;
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, ranks);
        long[] send = TokensPerDestination(routing[rank], topK, experts, ranks);
        long[] receive = new long[ranks];
        for (int source = 0; source < ranks; source++)
        {
            receive[source] = source == rank ? send[rank] : TokensPerDestination(routing[source], topK, experts, ranks)[rank];
        }

        return new AllToAllPlan(rank, send, receive, ByteFormulas.RowBytes(hidden));
    }

    /// <summary>For one rank's routing: how many of its tokens have at least one expert on each rank.</summary>
    public static long[] TokensPerDestination(long[] idx, int topK, int experts, int ranks)
    {
        ArgumentNullException.ThrowIfNull(idx);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        if (ranks < 1 || experts % ranks != 0)
        {
            throw new ArgumentException($"{experts} experts cannot be spread over {ranks} ranks.", nameof(ranks));
        }

        int localExperts = experts / ranks;
        var counts = new long[ranks];
        var seen = new bool[ranks];
        for (long token = 0; token < idx.Length / topK; token++)
        {
            Array.Clear(seen);
            for (int k = 0; k < topK; k++)
            {
                long expert = idx[token * topK + k];
                if (expert >= 0 && !seen[expert / localExperts])
                {
                    seen[expert / localExperts] = true;
                    counts[expert / localExperts]++;
                }
            }
        }

        return counts;
    }

    private static long[] Offsets(IReadOnlyList<long> rows)
    {
        var offsets = new long[rows.Count];
        for (int i = 1; i < rows.Count; i++)
        {
            offsets[i] = offsets[i - 1] + rows[i - 1];
        }

        return offsets;
    }
}
