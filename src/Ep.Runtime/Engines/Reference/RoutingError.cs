using System;
using System.Globalization;

namespace Ep;

/// <summary>
/// The first routing mistake in one rank's <c>topkIdx</c> (lowest token, then slot), as plain data so that every rank
/// can raise its own <see cref="EpRoutingException"/> for it after the inputs are exchanged.
/// </summary>
internal sealed record RoutingError(int Rank, int Token, int Slot, long Value, bool IsDuplicate, int Experts)
{
    /// <summary>
    /// Scans <paramref name="topkIdx"/> ([T, K]) for an id outside [-1, E) or an expert named twice in a row
    /// (the second occurrence is the one reported). Returns null when the routing is valid.
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
                    return new RoutingError(rank, t, k, id, IsDuplicate: false, experts);
                }

                if (id >= 0 && row[..k].Contains(id))
                {
                    return new RoutingError(rank, t, k, id, IsDuplicate: true, experts);
                }
            }
        }

        return null;
    }

    /// <summary>A fresh exception (each rank throws its own instance; exceptions are not shared between threads).</summary>
    public EpRoutingException ToException() => new(
        IsDuplicate
            ? string.Create(CultureInfo.InvariantCulture,
                $"Rank {Rank}: topkIdx[{Token}, {Slot}] = {Value} names expert {Value} a second time in the same row; a token may pick each expert once. Nothing was sent.")
            : string.Create(CultureInfo.InvariantCulture,
                $"Rank {Rank}: topkIdx[{Token}, {Slot}] = {Value} is outside [-1, {Experts}); use -1 for an unused slot. Nothing was sent."),
        Rank, Token, Slot, Value);
}
