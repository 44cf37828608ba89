using System;
using Ep.Engines.Staged;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The NcclEp engine's device memory per rank for one layer instance: every buffer <see cref="NcclEpLayerBuffers"/>
/// allocates (keep the two in step), plus what NCCL EP v0.1 allocates for the layer's group and handle, by the sizing
/// in its <c>nccl_ep.cc</c> and <c>include/common.hpp</c> (NVIDIA/nccl 5067397c): the 32 MiB workspace; HT, the
/// intranode buffer (dispatch and combine token and probability areas, one LSA team = all ranks of one node), the routing
/// bitmap and the handle's preprocessing block; LL, the double-buffered RDMA buffer of its expert-major layout and the
/// handle block. Buffers of a few hundred bytes (flags, counters) are left out.
/// </summary>
internal static class NcclEpMemoryPlan
{
    // NCCL EP's NUM_WORKSPACE_BYTES, allocated by every group.
    private const long WorkspaceBytes = 32L * 1024 * 1024;

    public static EngineMemoryPlan Plan(EpLayerSpec spec, int ranks)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        // The SM count only sets max_num_sms, which sizes nothing.
        NcclEpGroupSettings settings = NcclEpGroupSettings.Create(spec, ranks, deviceSms: 1);
        NcclEpLayerShape shape = NcclEpLayerShape.Of(settings);
        long h = spec.HiddenSize, k = spec.TopK, maxTokens = spec.MaxTokensPerRank;
        long slots = shape.ReceiveSlots, permuted = shape.PermutedRows;
        bool expertMajor = shape.ExpertMajor;
        long weightsPerSlot = expertMajor ? 1 : k;

        var plan = new PlannedBufferList()
            .Add<long>("RouteRecord", Staged.StagedRouteRecord.AllocatedWords(ranks, spec.Experts))
            .Add<long>("Source ids (eager turns, captured steps')", NcclEpSourceCopies.Pairs * maxTokens, k)
            .Add<float>("Source weights (eager turns, captured steps')", NcclEpSourceCopies.Pairs * maxTokens, k)
            .Add<BFloat16>("CombineOutput", maxTokens, h)
            .Add<BFloat16>("GradTokens", maxTokens, h)
            .Add<float>("GradTopkWeights", maxTokens, k)
            .Receive<BFloat16>("RecvRows", slots, h)
            .Receive<long>("RecvIdx", expertMajor ? 0 : slots, k)
            .Receive<float>("RecvWeights", slots, weightsPerSlot)
            .Add<float>("ZeroWeights", slots, weightsPerSlot)
            .Add<int>("ExpertCounters", shape.LocalExperts)
            .Add<int>("ReceivedTotal", shape.LowLatency ? 0 : 1)
            .Add<long>("HandleState", shape.LowLatency ? 0 : 2)
            .Add<int>("RankInExpert", expertMajor ? 0 : slots * k)
            .Add<int>("RankTileCounts", expertMajor ? 0 : StagedKernels.RankTiles(checked((int)slots)), shape.LocalExperts)
            .Add<int>("PermutedRow", expertMajor ? 0 : slots * k)
            .Receive<int>("RowSource", expertMajor && !shape.LowLatency ? slots : 0)
            .Add<int>("FilledRows", shape.LowLatency ? LowLatencyGroupPadding.TableRows : 0, shape.LocalExperts)
            .Add<int>("Layout (offsets, counts)", 2L * shape.LocalExperts)
            .Add<BFloat16>("Permuted", expertMajor ? 0 : permuted, h)
            .Add<BFloat16>("Unpermuted", slots, h)
            .Add<BFloat16>("GradReceived", slots, h)
            .Add<BFloat16>("GradExpertOutput", permuted, h)
            .Add<float>("GradWeights", slots, weightsPerSlot)
            .Add<BFloat16>("GradFlat", slots, h)
            .Add<float>("GradReceivedWeights", slots, weightsPerSlot)
            .AddBytes("NCCL EP workspace", WorkspaceBytes, native: true);

        return (shape.LowLatency ? AddLowLatency(plan, settings) : AddHighThroughput(plan, settings)).Build("NcclEp");
    }

    /// <summary>init_hybridep_intranode's buffer, the group's routing bitmap and HtBlockLayout (one node: no RDMA team).</summary>
    private static PlannedBufferList AddHighThroughput(PlannedBufferList plan, NcclEpGroupSettings s)
    {
        long recv = s.MaxRecvTokensPerRank, lsa = s.WorldSize, local = s.LocalExperts, tokens = s.MaxDispatchTokensPerRank;
        bool expertMajor = s.Layout == Interop.NcclEp.NcclEpLayout.ExpertMajor;
        long tokenArea = Align(recv * s.MaxTokenBytes, 256), probArea = Align(recv * local * lsa * sizeof(float), 256);
        long handle = Align(((tokens + 15) / 16) * 16, 256)              // rank-to-attention map (bool)
            + Align(recv * local, 256)                                    // local expert routing (bool)
            + 256                                                         // token count
            + Align(tokens * (expertMajor ? s.TopK : lsa) * sizeof(int), 256) // sparse-to-dense map
            + Align(tokens * lsa * 8, 256)                                // rank mask (at most 8 B per entry)
            + Align(tokens * s.NumExperts * sizeof(float), 256)           // dense probabilities (single node)
            + Align(tokens * s.TopK * sizeof(long), 256);                 // cached topk_idx
        return plan
            .AddBytes("NCCL EP HT intranode buffer (dispatch + combine tokens and probabilities)", 2 * tokenArea + 2 * probArea, native: true)
            .AddBytes("NCCL EP HT routing bitmap", s.WorldSize * tokens * ((s.NumExperts + 7) / 8), native: true)
            .AddBytes("NCCL EP HT handle block", handle, native: true);
    }

    /// <summary>LowLatencyLayout for Ep's expert-major LL handle (num_topk = K), rounded as ll_init_handle allocates it, and ll_handle_mem_size.</summary>
    private static PlannedBufferList AddLowLatency(PlannedBufferList plan, NcclEpGroupSettings s)
    {
        long tokens = s.MaxDispatchTokensPerRank, tokenBytes = s.MaxTokenBytes, ranks = s.WorldSize, experts = s.NumExperts, k = s.TopK;
        long scaleBytes = tokenBytes / 2 / 128 * 4;               // one bf16x2 (min, max) per 128 values
        long dispatchMessage = Align(4 + 2 * k, 16) + tokenBytes; // expert-major header: token id + 2 B per route
        long combineMessage = scaleBytes + tokenBytes;
        long dispatchSlot = tokens * dispatchMessage + ranks * tokens * dispatchMessage;
        long combineSlot = experts * tokens * combineMessage + tokens * combineMessage * k;
        long rdma = Align(2 * Math.Max(dispatchSlot, combineSlot) + 2 * Align(experts * sizeof(int), 128), 128);
        long handle = Align(ranks * (1 + (k + 1) * tokens) * sizeof(int), 256) + Align(s.LocalExperts * ranks * sizeof(long), 256);
        return plan
            .AddBytes("NCCL EP LL RDMA buffer (two slots of send + receive)", rdma, native: true)
            .AddBytes("NCCL EP LL handle block", handle, native: true);
    }

    private static long Align(long bytes, long alignment) => (bytes + alignment - 1) / alignment * alignment;
}
