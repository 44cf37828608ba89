namespace Ep;

/// <summary>
/// The catalog of layer rules, EP0001…EP0025. IDs are never reused; retired rules stay reserved.
/// Limits quoted here are NCCL EP v0.1's (contrib/nccl_ep in NVIDIA/nccl), which aborts the process
/// when they are broken, so Ep refuses them up front.
/// </summary>
public static class EpRules
{
    /// <summary>Base address of the per-rule documentation.</summary>
    public const string HelpLinkBase = "https://github.com/ep-dotnet/ep/blob/main/docs/diagnostics.md#";

    /// <summary>NCCL EP's top-k limit for HighThroughput (MAX_NUM_TOPK).</summary>
    public const int MaxTopKHighThroughput = 32;
    /// <summary>NCCL EP's top-k limit for LowLatency.</summary>
    public const int MaxTopKLowLatency = 9;
    /// <summary>NCCL EP's rank limit: 8 nodes × 8 GPUs.</summary>
    public const int MaxRanks = 64;
    /// <summary>NCCL EP HT's fixed per-rank expert arrays for ExpertMajor (HYBRIDEP_MAX_LOCAL_EXPERTS_PER_RANK).</summary>
    public const int MaxLocalExpertsExpertMajor = 64;
    /// <summary>NCCL EP's MAX_SUPPORTED_TOKENS_PER_RANK.</summary>
    public const int MaxNcclEpTokensPerRank = 8192;
    /// <summary>Row alignment in elements: 8 bf16 = 16 bytes, the width of a vectorised row copy.</summary>
    public const int HiddenSizeMultiple = 8;

    /// <summary>Hidden sizes NCCL EP's LowLatency kernels are compiled for (SWITCH_HIDDEN).</summary>
    public static readonly int[] LowLatencyHiddenSizes = { 2048, 2560, 4096, 5120, 6144, 7168, 8192 };

    /// <summary>EP0001: the annotated class is not partial.</summary>
    public static readonly EpRule ClassNotPartial = new("EP0001", "Layer class must be partial",
        "Class '{0}' has [ExpertParallelLayer] but is not partial; declare it 'partial' so the generator can add the layer's members",
        EpRuleSeverity.Error);

    /// <summary>EP0002: a containing type is not partial.</summary>
    public static readonly EpRule ContainingTypeNotPartial = new("EP0002", "Containing type of a layer must be partial",
        "Layer '{0}' is nested in '{1}', which is not partial; declare every containing type 'partial'",
        EpRuleSeverity.Error);

    /// <summary>EP0003: the layer class or a containing type is generic.</summary>
    public static readonly EpRule GenericLayer = new("EP0003", "Layer class must not be generic",
        "Layer '{0}' is generic or nested in a generic type; a layer's constants and kernels are fixed at compile time, so declare it in a non-generic class",
        EpRuleSeverity.Error);

    /// <summary>EP0004: a required size is missing or not positive.</summary>
    public static readonly EpRule NotPositive = new("EP0004", "Layer size must be positive",
        "{0} must be a positive integer; got {1}",
        EpRuleSeverity.Error);

    /// <summary>EP0005: more experts per token than experts.</summary>
    public static readonly EpRule TopKExceedsExperts = new("EP0005", "TopK exceeds Experts",
        "TopK is {0} but the layer has only {1} experts; a token cannot choose more experts than exist",
        EpRuleSeverity.Error);

    /// <summary>EP0006: top-k above NCCL EP's limit for the algorithm.</summary>
    public static readonly EpRule TopKAboveLimit = new("EP0006", "TopK above NCCL EP's limit",
        "TopK is {0} but NCCL EP's {1} kernels support at most {2}",
        EpRuleSeverity.Error);

    /// <summary>EP0007: hidden size does not give 16-byte rows.</summary>
    public static readonly EpRule HiddenSizeNotAligned = new("EP0007", "HiddenSize must be a multiple of 8",
        "HiddenSize is {0}, which is not a multiple of 8; bf16 rows must be a multiple of 16 bytes (nearest valid sizes: {1} or {2})",
        EpRuleSeverity.Error);

    /// <summary>EP0008: a payload other than bf16.</summary>
    public static readonly EpRule UnsupportedPayload = new("EP0008", "Payload must be BFloat16",
        "Payload {0} is not supported: {1}; use EpPayload.BFloat16",
        EpRuleSeverity.Error);

    /// <summary>EP0009: receive capacity below what one rank can send.</summary>
    public static readonly EpRule RecvCapacityTooSmall = new("EP0009", "RecvCapacityPerRank below MaxTokensPerRank",
        "RecvCapacityPerRank is {0} but MaxTokensPerRank is {1}; the capacity must hold at least one full rank's tokens (0 selects the dropless default)",
        EpRuleSeverity.Error);

    /// <summary>EP0010: experts do not split evenly over ranks.</summary>
    public static readonly EpRule ExpertsNotDivisible = new("EP0010", "Experts not divisible by Ranks",
        "Experts is {0}, which does not divide evenly over {1} ranks; each rank must own the same number of experts",
        EpRuleSeverity.Error);

    /// <summary>EP0011: rank count outside what NCCL EP supports.</summary>
    public static readonly EpRule RanksOutOfRange = new("EP0011", "Ranks outside NCCL EP's range",
        "Ranks is {0}; NCCL EP supports 1 to {1} ranks (8 nodes × 8 GPUs), and 0 means the count is known only at run time",
        EpRuleSeverity.Error);

    /// <summary>EP0012: too many local experts for the ExpertMajor layout.</summary>
    public static readonly EpRule TooManyLocalExperts = new("EP0012", "Too many local experts for ExpertMajor",
        "ExpertMajor layout with {0} local experts per rank ({1} experts over {2} ranks); NCCL EP's ExpertMajor kernels hold at most {3} (more hangs), so use more ranks or EpLayout.Flat",
        EpRuleSeverity.Error);

    /// <summary>EP0013: worst-case receive memory above the declared budget.</summary>
    public static readonly EpRule MemoryAboveBudget = new("EP0013", "Receive memory above MemoryBudgetGiB",
        "{0} layout needs {1:F2} GiB of receive buffers per rank in the worst case ({2:N0} rows at {3} ranks), above MemoryBudgetGiB = {4}; {5}",
        EpRuleSeverity.Warning);

    /// <summary>EP0014: more tokens per rank than NCCL EP handles.</summary>
    public static readonly EpRule TooManyTokensForNcclEp = new("EP0014", "MaxTokensPerRank above NCCL EP's limit",
        "MaxTokensPerRank is {0}, above NCCL EP's limit of {1}; the layer will run on the Staged engine instead of NcclEp",
        EpRuleSeverity.Warning);

    /// <summary>EP0015: a hidden size NCCL EP LowLatency lacks.</summary>
    public static readonly EpRule LowLatencyHiddenSize = new("EP0015", "HiddenSize not supported by LowLatency",
        "HiddenSize {0} is not one of NCCL EP LowLatency's sizes ({1}); use one of them or EpAlgorithm.HighThroughput",
        EpRuleSeverity.Error);

    /// <summary>EP0016: alignment that is not a power of two.</summary>
    public static readonly EpRule AlignmentNotPowerOfTwo = new("EP0016", "ExpertAlignment must be a power of two",
        "ExpertAlignment is {0}; it must be 0 (none) or a power of two such as 16 or 128",
        EpRuleSeverity.Error);

    /// <summary>EP0017: LowLatency with a layout it lacks.</summary>
    public static readonly EpRule LowLatencyNeedsExpertMajor = new("EP0017", "LowLatency requires the ExpertMajor layout",
        "Algorithm LowLatency produces expert-major output, but Layout is {0}; use EpLayout.ExpertMajor or leave Layout unset",
        EpRuleSeverity.Error);

    /// <summary>EP0018: zero-copy with LowLatency.</summary>
    public static readonly EpRule ZeroCopyWithLowLatency = new("EP0018", "ZeroCopy is not available with LowLatency",
        "ZeroCopy is set with Algorithm LowLatency; NCCL EP LowLatency reads tensors by pointer and cannot use window-backed buffers",
        EpRuleSeverity.Error);

    /// <summary>EP0019: alignment that the layout ignores.</summary>
    public static readonly EpRule AlignmentIgnored = new("EP0019", "ExpertAlignment has no effect with the Flat layout",
        "ExpertAlignment is {0} but Layout is Flat, which has no expert groups to pad; remove it or use EpLayout.ExpertMajor",
        EpRuleSeverity.Warning);

    /// <summary>EP0020: a negative memory budget.</summary>
    public static readonly EpRule NegativeMemoryBudget = new("EP0020", "MemoryBudgetGiB must not be negative",
        "MemoryBudgetGiB is {0}; use a positive number of GiB, or 0 for no budget",
        EpRuleSeverity.Error);

    /// <summary>EP0021: LowLatency buffer rows not a multiple of 4.</summary>
    public static readonly EpRule LowLatencyTokenMultiple = new("EP0021", "LowLatency needs MaxTokensPerRank × local experts divisible by 4",
        "MaxTokensPerRank × local experts is {0} × {1} = {2}, not a multiple of 4 as NCCL EP LowLatency requires",
        EpRuleSeverity.Error);

    /// <summary>EP0022: the layer class is static.</summary>
    public static readonly EpRule StaticLayer = new("EP0022", "Layer class must not be static",
        "Layer '{0}' is static; a layer is an instance bound to a group (constructor, Dispose, operations), so remove 'static'",
        EpRuleSeverity.Error);

    /// <summary>EP0023: the layer is a record.</summary>
    public static readonly EpRule RecordLayer = new("EP0023", "Layer must be a class, not a record",
        "Layer '{0}' is a record; a record's copy constructor and value equality would share one layer's buffers between copies, so declare it 'partial class'",
        EpRuleSeverity.Error);

    /// <summary>EP0024: the layer class has a primary constructor.</summary>
    public static readonly EpRule PrimaryConstructorLayer = new("EP0024", "Layer class must not have a primary constructor",
        "Layer '{0}' has a primary constructor; the generated constructor '{0}(EpGroup)' cannot chain to it, so move the parameters into fields or a separate class",
        EpRuleSeverity.Error);

    /// <summary>EP0025: the layer class is file-local.</summary>
    public static readonly EpRule FileLocalLayer = new("EP0025", "Layer class must not be file-local",
        "Layer '{0}' is declared 'file'; the generated members live in another file and cannot extend a file-local class, so use 'internal' or 'private' instead",
        EpRuleSeverity.Error);

    /// <summary>Every rule, in ID order.</summary>
    public static EpRule[] All => new[]
    {
        ClassNotPartial, ContainingTypeNotPartial, GenericLayer, NotPositive, TopKExceedsExperts, TopKAboveLimit,
        HiddenSizeNotAligned, UnsupportedPayload, RecvCapacityTooSmall, ExpertsNotDivisible, RanksOutOfRange,
        TooManyLocalExperts, MemoryAboveBudget, TooManyTokensForNcclEp, LowLatencyHiddenSize, AlignmentNotPowerOfTwo,
        LowLatencyNeedsExpertMajor, ZeroCopyWithLowLatency, AlignmentIgnored, NegativeMemoryBudget, LowLatencyTokenMultiple,
        StaticLayer, RecordLayer, PrimaryConstructorLayer, FileLocalLayer,
    };
}
