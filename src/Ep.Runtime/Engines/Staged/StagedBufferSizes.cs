using System;

namespace Ep.Engines.Staged;

/// <summary>
/// The row counts the Staged engine sizes its buffers by, for one layer at one rank count: computed once here for
/// both <see cref="StagedLayerBuffers"/> (which allocates them) and <see cref="StagedMemoryPlan"/> (which lists them).
/// </summary>
/// <param name="LocalExperts">L = E / R.</param>
/// <param name="LowLatency">The LowLatency algorithm (fixed expert groups).</param>
/// <param name="ExpertMajor">An expert-major layout (ExpertMajor, or LowLatency).</param>
/// <param name="Capacity">Flat receive rows. LowLatency checks only its fixed groups, so its Flat staging rows take the most any step can bring: R × MaxTokensPerRank.</param>
/// <param name="SentRows">Rows this rank can send in one step: MaxTokensPerRank × min(K, R).</param>
/// <param name="PairRows">(row, local expert) pairs the capacity can hold: Capacity × min(K, L).</param>
/// <param name="LayoutRows">Expert-major rows: LowLatency L × R × MaxTokensPerRank, ExpertMajor its capacity with padding, Flat <paramref name="PairRows"/>.</param>
internal sealed record StagedBufferSizes(int LocalExperts, bool LowLatency, bool ExpertMajor, int Capacity, int SentRows, int PairRows, int LayoutRows)
{
    /// <summary>Rows of the layout the operations return: Flat [N] rows for Unpermute/PermuteBackward, M rows otherwise.</summary>
    public int RowsPerReceived => ExpertMajor ? LayoutRows : Capacity;

    /// <summary>The expert-major layout's rows, 0 for Flat (which has none).</summary>
    public int ExpertMajorRows => ExpertMajor ? LayoutRows : 0;

    /// <summary>The return trip's pair rows in the expert-major layouts, 0 for Flat.</summary>
    public int ExpertMajorPairs => ExpertMajor ? PairRows : 0;

    public static StagedBufferSizes Of(EpLayerSpec spec, int ranks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        int k = spec.TopK, maxTokens = spec.MaxTokensPerRank;
        int localExperts = spec.LocalExperts(ranks);
        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        bool expertMajor = lowLatency || spec.Layout == EpLayout.ExpertMajor;
        int capacity = checked((int)(lowLatency ? Math.Max(spec.RecvCapacity(ranks), (long)ranks * maxTokens) : spec.RecvCapacity(ranks)));
        int sentRows = checked(maxTokens * Math.Min(k, ranks));
        int pairRows = checked(capacity * Math.Min(k, localExperts));
        int layoutRows = lowLatency
            ? checked(localExperts * ranks * maxTokens)
            : expertMajor ? checked((int)spec.ExpertMajorCapacity(ranks)) : pairRows;
        return new StagedBufferSizes(localExperts, lowLatency, expertMajor, capacity, sentRows, pairRows, layoutRows);
    }
}
