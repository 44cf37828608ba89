namespace Ep;

/// <summary>Element type of the token payload that dispatch and combine move between ranks.</summary>
/// <remarks>
/// NCCL EP v0.1 moves bf16 only, so <see cref="BFloat16"/> is the only accepted value today. The other
/// members exist so that diagnostic EP0008 can name what was asked for and why it is refused.
/// </remarks>
public enum EpPayload
{
    /// <summary>bfloat16 tokens: 8 exponent bits, 7 mantissa bits. The default and the only supported payload.</summary>
    BFloat16 = 0,
    /// <summary>IEEE half precision. Not supported: NCCL EP asserts on anything but bf16.</summary>
    Float16 = 1,
    /// <summary>IEEE single precision. Not supported: NCCL EP asserts on anything but bf16.</summary>
    Float32 = 2,
    /// <summary>FP8 E4M3. Not supported: NCCL EP v0.1's release notes list FP8 as not supported.</summary>
    Float8E4M3 = 3,
    /// <summary>FP8 E5M2. Not supported: NCCL EP v0.1's release notes list FP8 as not supported.</summary>
    Float8E5M2 = 4,
}

/// <summary>How the rows a rank receives from dispatch are laid out.</summary>
public enum EpLayout
{
    /// <summary>One row per (source rank, token) that has at least one expert on this rank, ordered by source rank then token.</summary>
    Flat = 0,
    /// <summary>One row per (token, local expert), grouped by local expert, each group padded to <c>ExpertAlignment</c>.</summary>
    ExpertMajor = 1,
}

/// <summary>Which family of NCCL EP kernels the layer targets.</summary>
public enum EpAlgorithm
{
    /// <summary>Training and prefill: large batches, Flat or ExpertMajor layout, forward and backward.</summary>
    HighThroughput = 0,
    /// <summary>Inference decode: small batches, ExpertMajor output, weighted combine, forward only.</summary>
    LowLatency = 1,
}
