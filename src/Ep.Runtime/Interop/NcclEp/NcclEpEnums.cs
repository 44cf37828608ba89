namespace Ep.Interop.NcclEp;

/// <summary>Constants of <c>nccl_ep.h</c> v0.1.</summary>
internal static class NcclEpConstants
{
    /// <summary><c>NCCL_EP_AUTO</c>: let the library choose a size or count.</summary>
    public const uint Auto = 0;

    /// <summary><c>NCCL_EP_API_VERSION</c>: the feature set this binding was written against.</summary>
    public const uint ApiVersion = 1;

    /// <summary><c>NCCL_EP_MAGIC</c>: second field of every config struct.</summary>
    public const uint Magic = 0xC00FFFEE;

    /// <summary><c>NCCL_EP_TENSOR_MAGIC</c>: second field of <c>ncclEpTensor_t</c>.</summary>
    public const uint TensorMagic = 0xCAFECAFE;

    /// <summary><c>NCCL_EP_VERSION_CODE</c> of v0.1.0 (major × 10000 + minor × 100 + patch).</summary>
    public const int SupportedVersionCode = 100;

    /// <summary>The first NCCL whose headers NCCL EP builds against (NCCL_VERSION(2, 30, 3)).</summary>
    public const int MinimumNcclVersionCode = 23003;
}

/// <summary><c>ncclEpAlgorithm_t</c>.</summary>
internal enum NcclEpAlgorithm
{
    LowLatency = 0,
    HighThroughput = 1,
}

/// <summary><c>ncclEpLayout_t</c>.</summary>
internal enum NcclEpLayout
{
    Unset = 0,
    ExpertMajor = 1,
    RankMajor = 2,
    Flat = 3,
}

/// <summary><c>ncclEpPassDir_t</c>.</summary>
internal enum NcclEpPassDirection
{
    Forward = 0,
    Backward = 1,
}
