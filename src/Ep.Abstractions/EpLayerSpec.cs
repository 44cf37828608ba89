using System;

namespace Ep;

/// <summary>
/// Every constant of one declared layer, as the generator resolved it from <see cref="ExpertParallelLayerAttribute"/>.
/// Generated layers expose theirs as <c>Spec</c>; engines, the memory planner and the rules read only this.
/// </summary>
public sealed record EpLayerSpec
{
    /// <summary>Total experts E.</summary>
    public int Experts { get; init; }
    /// <summary>Experts per token K.</summary>
    public int TopK { get; init; }
    /// <summary>Elements per token row H.</summary>
    public int HiddenSize { get; init; }
    /// <summary>Largest token count per rank per Dispatch.</summary>
    public int MaxTokensPerRank { get; init; }
    /// <summary>Token element type.</summary>
    public EpPayload Payload { get; init; } = EpPayload.BFloat16;
    /// <summary>Receive layout.</summary>
    public EpLayout Layout { get; init; } = EpLayout.Flat;
    /// <summary>Kernel family.</summary>
    public EpAlgorithm Algorithm { get; init; } = EpAlgorithm.HighThroughput;
    /// <summary>Declared receive capacity in rows; 0 = the dropless default, see <see cref="RecvCapacity"/>.</summary>
    public int RecvCapacityPerRank { get; init; }
    /// <summary>Declared ExpertMajor group alignment; 0 or 1 = none.</summary>
    public int ExpertAlignment { get; init; }
    /// <summary>Whether Unpermute multiplies by the routing weights.</summary>
    public bool ApplyWeightsInCombine { get; init; }
    /// <summary>Whether forward buffers are symmetric (window-registered) memory.</summary>
    public bool ZeroCopy { get; init; }
    /// <summary>Static world size, or 0 when known only at run time.</summary>
    public int Ranks { get; init; }
    /// <summary>Receive-memory budget per rank in GiB, or 0 for none.</summary>
    public double MemoryBudgetGiB { get; init; }

    /// <summary>Experts per rank, L = E / R.</summary>
    public int LocalExperts(int ranks)
    {
        RequirePositive(ranks, nameof(ranks));
        return Experts / ranks;
    }

    /// <summary>
    /// Flat receive capacity in rows for <paramref name="ranks"/> ranks: the declared value, or by default
    /// R × MaxTokensPerRank, the most (source rank, token) pairs that can ever reach one rank.
    /// </summary>
    public long RecvCapacity(int ranks)
    {
        RequirePositive(ranks, nameof(ranks));
        return RecvCapacityPerRank > 0 ? RecvCapacityPerRank : (long)ranks * MaxTokensPerRank;
    }

    /// <summary>Padding granularity of ExpertMajor groups (1 when no alignment is declared).</summary>
    public int EffectiveAlignment => ExpertAlignment > 1 ? ExpertAlignment : 1;

    /// <summary>
    /// Rows of the ExpertMajor receive buffer in the worst case: every received token row fans out to
    /// min(K, L) local experts, and each of the L groups may carry alignment − 1 padding rows.
    /// </summary>
    public long ExpertMajorCapacity(int ranks)
    {
        int localExperts = LocalExperts(ranks);
        return RecvCapacity(ranks) * Math.Min(TopK, localExperts) + (long)localExperts * (EffectiveAlignment - 1);
    }

    /// <summary>
    /// Rows of the LowLatency receive buffer, always the worst case: NCCL EP LL's expert-major output is
    /// [L, R × MaxTokensPerRank, H], one zone per local expert that can hold every token of every rank.
    /// </summary>
    public long LowLatencyCapacity(int ranks) => (long)LocalExperts(ranks) * ranks * MaxTokensPerRank;

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}.");
        }
    }
}
