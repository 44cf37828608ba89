namespace Ep.Engines.NcclEp;

/// <summary>
/// NCCL EP v0.1 limits that the compile-time rules do not already name (those live in <see cref="EpRules"/> and are
/// reused, not copied). Each one guards an abort, a hang or a wrong result inside the library (reference notes §3).
/// </summary>
internal static class NcclEpLimits
{
    /// <summary>The oldest GPU generation NCCL EP is built for: sm_90 (Hopper), then Blackwell's 100/110/120.</summary>
    public const int MinComputeMajor = 9;

    /// <summary>RELEASE.md: at most 8 GPUs per node (the LSA team).</summary>
    public const int MaxGpusPerNode = 8;

    /// <summary>RELEASE.md: at most 8 nodes (the rail team).</summary>
    public const int MaxNodes = 8;

    /// <summary><c>NUM_MAX_LOCAL_EXPERTS</c> (common.hpp): per-rank expert arrays in both algorithms.</summary>
    public const int MaxLocalExperts = 1024;

    /// <summary>LL carries expert ids as uint16 with 0xFFFF reserved, so num_experts must stay below this.</summary>
    public const int LowLatencyExpertsBound = 65535;

    /// <summary>LL: ceil(num_experts / max_num_sms) warp groups per SM, at most 14 (ncclEpCreateGroup).</summary>
    public const int LowLatencyMaxWarpGroups = 14;

    /// <summary>LL receive zones are sized in multiples of 4 rows: max_dispatch_tokens_per_rank × L % 4 == 0 (asserted).</summary>
    public const int LowLatencyRowsMultiple = 4;

    /// <summary>HT: L × LSA size floats of routing probabilities per token must be 16 bytes (TMA), i.e. a multiple of 4.</summary>
    public const int HighThroughputExpertsPerNodeMultiple = 4;

    /// <summary>HT: token rows are moved by TMA, so hidden × 2 bytes must be a multiple of 16.</summary>
    public const int RowBytesMultiple = 16;

    /// <summary>HYBRIDEP_MAX_NUM_SMS_PER_RANK: the SMs HT uses when max_num_sms is AUTO.</summary>
    public const int HighThroughputDefaultSms = 16;

    /// <summary>Bytes per bf16 element, the only payload NCCL EP v0.1 moves.</summary>
    public const int BFloat16Bytes = 2;

    /// <summary>NCCL EP truncates timeout_ns to whole milliseconds; anything shorter silently becomes 0 (no timeout).</summary>
    public const long TimeoutResolutionNanoseconds = 1_000_000;
}
