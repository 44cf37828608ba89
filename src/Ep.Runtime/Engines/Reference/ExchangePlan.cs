using System;

namespace Ep;

/// <summary>
/// Who sends which row where in one step: a <see cref="ReceivePlan"/> for every destination rank. Every rank builds
/// the same plan from the gathered routing, so Combine and the backward exchanges need no further negotiation.
/// </summary>
internal sealed class ExchangePlan
{
    private readonly ReceivePlan[] _destinations;

    private ExchangePlan(ReceivePlan[] destinations, int[] tokenCounts)
    {
        _destinations = destinations;
        TokenCounts = tokenCounts;
    }

    /// <summary>T_s for every source rank s.</summary>
    public int[] TokenCounts { get; }

    public int Ranks => _destinations.Length;

    public ReceivePlan this[int destination] => _destinations[destination];

    /// <summary>Builds the plan; the routing must already be valid (see <see cref="RoutingError"/>).</summary>
    public static ExchangePlan Build(EpLayerSpec spec, DispatchContribution[] sources)
    {
        int ranks = sources.Length;
        int topK = spec.TopK;
        int localExperts = spec.LocalExperts(ranks);
        var builders = new ReceivePlan.Builder[ranks];
        for (int d = 0; d < ranks; d++)
        {
            builders[d] = new ReceivePlan.Builder(topK, localExperts);
        }

        Span<long> ids = stackalloc long[topK];
        Span<float> weights = stackalloc float[topK];
        Span<int> slots = stackalloc int[topK];
        var tokenCounts = new int[ranks];
        for (int s = 0; s < ranks; s++)
        {
            ReadOnlySpan<long> topkIdx = sources[s].TopkIdx.AsSpan();
            ReadOnlySpan<float> topkWeights = sources[s].TopkWeights.AsSpan();
            tokenCounts[s] = sources[s].TokenCount;
            for (int t = 0; t < tokenCounts[s]; t++)
            {
                // Ranks in ascending order, then the token's experts on that rank by ascending local id.
                for (int d = 0; d < ranks; d++)
                {
                    int found = 0;
                    for (int k = 0; k < topK; k++)
                    {
                        long id = topkIdx[t * topK + k];
                        if (id >= 0 && id / localExperts == d)
                        {
                            InsertSorted(id % localExperts, topkWeights[t * topK + k], k, found, ids, weights, slots);
                            found++;
                        }
                    }

                    if (found > 0)
                    {
                        builders[d].AddRow(s, t, ids[..found], weights[..found], slots[..found]);
                    }
                }
            }
        }

        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        int alignment = spec.Layout == EpLayout.ExpertMajor && !lowLatency ? spec.EffectiveAlignment : 1;
        int fixedGroupRows = lowLatency ? ranks * spec.MaxTokensPerRank : 0;
        var destinations = new ReceivePlan[ranks];
        for (int d = 0; d < ranks; d++)
        {
            destinations[d] = builders[d].Build(ranks, alignment, fixedGroupRows);
        }

        return new ExchangePlan(destinations, tokenCounts);
    }

    /// <summary>
    /// The lowest destination rank that would receive more rows than its capacity, or null. Flat capacity is checked
    /// before ExpertMajor's padded capacity. LowLatency's fixed groups cannot overflow once the routing is valid (a
    /// source names an expert at most once per token, so a group gets at most Ranks × MaxTokensPerRank rows), as the
    /// GPU engines' route plan also relies on (docs/semantics.md).
    /// </summary>
    public EpCapacityException? FindOverflow(EpLayerSpec spec)
    {
        if (spec.Algorithm == EpAlgorithm.LowLatency)
        {
            return null;
        }

        long flatCapacity = spec.RecvCapacity(Ranks);
        for (int d = 0; d < Ranks; d++)
        {
            ReceivePlan plan = _destinations[d];
            if (plan.RowCount > flatCapacity)
            {
                return new EpCapacityException(d, plan.RowCount, flatCapacity, "RecvCapacityPerRank");
            }

            long expertMajorCapacity = spec.ExpertMajorCapacity(Ranks);
            if (spec.Layout == EpLayout.ExpertMajor && plan.GroupedRowCount > expertMajorCapacity)
            {
                return new EpCapacityException(d, plan.GroupedRowCount, expertMajorCapacity, "ExpertMajor capacity");
            }
        }

        return null;
    }

    private static void InsertSorted(long id, float weight, int slot, int count, Span<long> ids, Span<float> weights, Span<int> slots)
    {
        int i = count;
        while (i > 0 && ids[i - 1] > id)
        {
            ids[i] = ids[i - 1];
            weights[i] = weights[i - 1];
            slots[i] = slots[i - 1];
            i--;
        }

        ids[i] = id;
        weights[i] = weight;
        slots[i] = slot;
    }
}
