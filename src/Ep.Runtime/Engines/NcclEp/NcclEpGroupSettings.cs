using System;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The values Ep passes to <c>ncclEpCreateGroup</c> and <c>ncclEpInitHandle</c> for one layer, derived from its spec,
/// the world size and the GPU. Pure: no native call. <see cref="NcclEpPreconditions"/> checks them before use.
/// </summary>
/// <remarks>
/// Sizes are the dropless worst case Ep's other engines use, not ep_bench's uniform-routing estimates, so a step that
/// the Reference engine accepts never overflows NCCL EP's buffers (NCCL EP traps on overflow instead of reporting it).
/// </remarks>
internal sealed record NcclEpGroupSettings
{
    /// <summary><c>algorithm</c>.</summary>
    public required NcclEpAlgorithm Algorithm { get; init; }

    /// <summary>Layout passed to the handle: HT Flat or ExpertMajor, LL ExpertMajor.</summary>
    public required NcclEpLayout Layout { get; init; }

    /// <summary><c>num_experts</c> (E).</summary>
    public required int NumExperts { get; init; }

    /// <summary>Experts per rank (L), for shape checks.</summary>
    public required int LocalExperts { get; init; }

    /// <summary>nRanks (R), for shape checks.</summary>
    public required int WorldSize { get; init; }

    /// <summary>Top-k (K), passed to the handle as num_topk.</summary>
    public required int TopK { get; init; }

    /// <summary>Hidden size (H), for shape checks.</summary>
    public required int HiddenSize { get; init; }

    /// <summary><c>max_dispatch_tokens_per_rank</c> = MaxTokensPerRank.</summary>
    public required int MaxDispatchTokensPerRank { get; init; }

    /// <summary>
    /// <c>max_recv_tokens_per_rank</c>: rows of one rank's dispatch output (N_slots). HT Flat: RecvCapacity (one row
    /// per source token); HT ExpertMajor: ExpertMajorCapacity (one slot per token and local expert, padded);
    /// LL: R × MaxTokensPerRank, what NCCL EP resolves AUTO to. A long, so an overflow of the C field shows.
    /// </summary>
    public required long MaxRecvTokensPerRank { get; init; }

    /// <summary><c>max_token_bytes</c> = H × 2 (bf16).</summary>
    public required int MaxTokenBytes { get; init; }

    /// <summary><c>rdma_buffer_size</c>: AUTO (sized by the library; LL may regrow it at handle init).</summary>
    public ulong RdmaBufferSize { get; init; } = NcclEpConstants.Auto;

    /// <summary><c>num_qp_per_rank</c>: LL L (as ep_bench), HT AUTO (NCCL EP uses 2 × max_num_sms).</summary>
    public required uint NumQpPerRank { get; init; }

    /// <summary><c>num_channels</c>: AUTO.</summary>
    public uint NumChannels { get; init; } = NcclEpConstants.Auto;

    /// <summary><c>max_num_sms</c>, always explicit so it can be checked against the GPU before the call.</summary>
    public required int MaxNumSms { get; init; }

    /// <summary><c>timeout_ns</c>: 0 = NCCL EP's default.</summary>
    public ulong TimeoutNanoseconds { get; init; }

    /// <summary><c>dispatch_output_per_expert_alignment</c>: the layer's alignment for HT ExpertMajor, else 1 (none).</summary>
    public required int ExpertAlignment { get; init; }

    /// <summary>Derives the settings. Expects <paramref name="spec"/> to have passed the size checks (positive, divisible).</summary>
    public static NcclEpGroupSettings Create(EpLayerSpec spec, int worldSize, int deviceSms, NcclEpTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        tuning ??= NcclEpTuning.Default;
        bool lowLatency = spec.Algorithm == EpAlgorithm.LowLatency;
        int localExperts = spec.LocalExperts(worldSize);
        return new NcclEpGroupSettings
        {
            Algorithm = lowLatency ? NcclEpAlgorithm.LowLatency : NcclEpAlgorithm.HighThroughput,
            Layout = LayoutOf(spec),
            NumExperts = spec.Experts,
            LocalExperts = localExperts,
            WorldSize = worldSize,
            TopK = spec.TopK,
            HiddenSize = spec.HiddenSize,
            MaxDispatchTokensPerRank = spec.MaxTokensPerRank,
            MaxRecvTokensPerRank = MaxRecvRows(spec, worldSize),
            MaxTokenBytes = spec.HiddenSize * NcclEpLimits.BFloat16Bytes,
            NumQpPerRank = lowLatency ? (uint)localExperts : NcclEpConstants.Auto,
            MaxNumSms = tuning.MaxNumSms ?? (lowLatency ? deviceSms : NcclEpLimits.HighThroughputDefaultSms),
            TimeoutNanoseconds = tuning.Timeout is { } timeout ? (ulong)Math.Max(0, timeout.Ticks) * 100 : 0,
            ExpertAlignment = LayoutOf(spec) == NcclEpLayout.ExpertMajor && !lowLatency ? spec.EffectiveAlignment : 1,
        };
    }

    /// <summary>The layout NCCL EP is asked for: LL is always ExpertMajor (Ep does not expose RankMajor).</summary>
    public static NcclEpLayout LayoutOf(EpLayerSpec spec) =>
        spec.Algorithm == EpAlgorithm.LowLatency || spec.Layout == EpLayout.ExpertMajor ? NcclEpLayout.ExpertMajor : NcclEpLayout.Flat;

    /// <summary>Rows of one rank's dispatch output; see <see cref="MaxRecvTokensPerRank"/>.</summary>
    public static long MaxRecvRows(EpLayerSpec spec, int worldSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Algorithm == EpAlgorithm.LowLatency)
        {
            // ncclEpCreateGroup's LL auto-budget; written out so every rank visibly agrees (it is all-gathered and compared).
            return (long)worldSize * spec.MaxTokensPerRank;
        }

        return spec.Layout == EpLayout.ExpertMajor ? spec.ExpertMajorCapacity(worldSize) : spec.RecvCapacity(worldSize);
    }

    /// <summary>LL's dispatch output rows: [L, R × MaxTokensPerRank, H] flattened to L × R × MaxTokensPerRank rows.</summary>
    public long LowLatencyOutputRows => (long)LocalExperts * WorldSize * MaxDispatchTokensPerRank;

    /// <summary>The native group config. Call only after <see cref="NcclEpPreconditions"/> accepted these settings.</summary>
    public NcclEpGroupConfig ToGroupConfig()
    {
        NcclEpGroupConfig config = NcclEpGroupConfig.Create();
        config.Algorithm = Algorithm;
        config.NumExperts = checked((uint)NumExperts);
        config.MaxDispatchTokensPerRank = checked((uint)MaxDispatchTokensPerRank);
        config.MaxRecvTokensPerRank = checked((uint)MaxRecvTokensPerRank);
        config.MaxTokenBytes = checked((uint)MaxTokenBytes);
        config.RdmaBufferSize = new System.Runtime.InteropServices.CULong(checked((nuint)RdmaBufferSize));
        config.NumQpPerRank = NumQpPerRank;
        config.NumChannels = NumChannels;
        config.MaxNumSms = checked((uint)MaxNumSms);
        config.TimeoutNanoseconds = TimeoutNanoseconds;
        return config;
    }

    /// <summary>The native handle config (alignment of ExpertMajor zones).</summary>
    public NcclEpHandleConfig ToHandleConfig() => NcclEpHandleConfig.Create((nuint)ExpertAlignment);
}
