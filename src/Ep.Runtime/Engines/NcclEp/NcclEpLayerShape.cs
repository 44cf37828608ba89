using System;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The sizes NCCL EP is configured with for one layer at one rank count: its receive slots (the first dimension of
/// every dispatch output and combine input) and the expert-major rows Permute can produce.
/// </summary>
internal sealed record NcclEpLayerShape(int Ranks, int LocalExperts, bool LowLatency, bool ExpertMajor, int ReceiveSlots, int PermutedRows,
    int LowLatencyGroupRows)
{
    public static NcclEpLayerShape Of(EpLayerSpec spec, int ranks)
    {
        int localExperts = spec.LocalExperts(ranks);
        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        bool expertMajor = lowLatency || spec.Layout == EpLayout.ExpertMajor;
        int groupRows = checked(ranks * spec.MaxTokensPerRank);
        int flat = checked((int)spec.RecvCapacity(ranks));

        // LowLatency: [L, R·MaxTokensPerRank] rows; HT ExpertMajor: one slot per (token, local expert) incl. padding;
        // HT Flat: one slot per (source rank, token).
        int slots = lowLatency ? checked(localExperts * groupRows)
            : expertMajor ? checked((int)spec.ExpertMajorCapacity(ranks))
            : flat;
        int permuted = expertMajor ? slots : checked(flat * Math.Min(spec.TopK, localExperts));
        return new NcclEpLayerShape(ranks, localExperts, lowLatency, expertMajor, slots, permuted, groupRows);
    }
}
