using System;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The sizes NCCL EP is configured with for one layer at one rank count: its receive slots (the first dimension of
/// every dispatch output and combine input) and the expert-major rows Permute can produce. Read from the layer's
/// <see cref="NcclEpGroupSettings"/>, which already hold every size, so nothing is derived twice.
/// </summary>
internal sealed record NcclEpLayerShape(int Ranks, int LocalExperts, bool LowLatency, bool ExpertMajor, int ReceiveSlots, int PermutedRows,
    int LowLatencyGroupRows)
{
    public static NcclEpLayerShape Of(NcclEpGroupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int ranks = settings.WorldSize, localExperts = settings.LocalExperts;
        bool lowLatency = settings.Algorithm == NcclEpAlgorithm.LowLatency;
        bool expertMajor = settings.Layout == NcclEpLayout.ExpertMajor;
        int groupRows = checked(ranks * settings.MaxDispatchTokensPerRank);

        // LowLatency: [L, R·MaxTokensPerRank] rows; HT ExpertMajor: one slot per (token, local expert) incl. padding
        // (ExpertMajorCapacity); HT Flat: one slot per (source rank, token) (RecvCapacity). HT's max_recv_tokens_per_rank
        // is exactly that slot count.
        int slots = lowLatency ? checked((int)settings.LowLatencyOutputRows) : checked((int)settings.MaxRecvTokensPerRank);
        int permuted = expertMajor ? slots : checked(slots * Math.Min(settings.TopK, localExperts));
        return new NcclEpLayerShape(ranks, localExperts, lowLatency, expertMajor, slots, permuted, groupRows);
    }
}
