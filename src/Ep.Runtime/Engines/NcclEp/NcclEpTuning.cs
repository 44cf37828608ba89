using System;

namespace Ep.Engines.NcclEp;

/// <summary>Optional overrides of the NCCL EP group settings Ep otherwise derives from the layer and the GPU.</summary>
/// <param name="MaxNumSms">SMs NCCL EP's kernels may use; null = HT 16 (NCCL EP's own default), LL every SM.</param>
/// <param name="Timeout">LL kernel timeout; null = NCCL EP's default (~100 s, or NCCL_EP_TIMEOUT_MS). Whole milliseconds.</param>
internal sealed record NcclEpTuning(int? MaxNumSms = null, TimeSpan? Timeout = null)
{
    /// <summary>No overrides.</summary>
    public static NcclEpTuning Default { get; } = new();
}
