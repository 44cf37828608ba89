using System;

namespace Ep;

/// <summary>
/// The first routing mistake in one rank's <c>topkIdx</c> (lowest token, then slot), as plain data so that every rank
/// can raise its own <see cref="EpRoutingException"/> for it after the inputs are exchanged.
/// </summary>
internal sealed record RoutingError(int Rank, int Token, int Slot, long Value, int FirstSlot, int Experts)
{
    /// <summary>
    /// Scans <paramref name="topkIdx"/> ([T, K]) for an id outside [-1, E) or an expert named twice in a row
    /// (the second occurrence is the one reported, with the slot that named it first). Returns null when the routing is valid.
    /// </summary>
    public static RoutingError? Find(int rank, ReadOnlySpan<long> topkIdx, int topK, int experts)
    {
        int tokens = topK == 0 ? 0 : topkIdx.Length / topK;
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<long> row = topkIdx.Slice(t * topK, topK);
            for (int k = 0; k < topK; k++)
            {
                long id = row[k];
                if (id < -1 || id >= experts)
                {
                    return new RoutingError(rank, t, k, id, FirstSlot: -1, experts);
                }

                int first = id >= 0 ? row[..k].IndexOf(id) : -1;
                if (first >= 0)
                {
                    return new RoutingError(rank, t, k, id, first, experts);
                }
            }
        }

        return null;
    }

    /// <summary>A fresh exception (each rank throws its own instance; exceptions are not shared between threads).</summary>
    public EpRoutingException ToException() =>
        RoutingErrorMessage.Exception(Rank, Token, Slot, Value, FirstSlot, Experts, RoutingErrorMessage.NothingSent);
}
