using System;

namespace Ep;

/// <summary>
/// Declares a Mixture-of-Experts layer whose dispatch, combine, permute and their backward passes
/// Ep's source generator writes into the annotated <c>partial</c> class.
/// </summary>
/// <example>
/// <code>
/// [ExpertParallelLayer(Experts = 256, TopK = 8, HiddenSize = 7168, MaxTokensPerRank = 4096)]
/// public partial class DeepSeekMoe;
/// </code>
/// </example>
/// <remarks>
/// The generator reads these properties by name from the syntax tree, so every value must be a
/// compile-time constant. Wrong values are compile errors (EP0001…), see docs/diagnostics.md.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ExpertParallelLayerAttribute : Attribute
{
    /// <summary>Total number of experts E across all ranks. Required, positive, divisible by the rank count.</summary>
    public int Experts { get; set; }

    /// <summary>Experts chosen per token K. Required; at most 32 (HighThroughput) or 9 (LowLatency).</summary>
    public int TopK { get; set; }

    /// <summary>Hidden size H: elements per token row. Required; a multiple of 8 so that bf16 rows are 16-byte aligned.</summary>
    public int HiddenSize { get; set; }

    /// <summary>Largest token count T a rank may pass to one Dispatch call. Required.</summary>
    public int MaxTokensPerRank { get; set; }

    /// <summary>Token element type. Only <see cref="EpPayload.BFloat16"/> is supported.</summary>
    public EpPayload Payload { get; set; } = EpPayload.BFloat16;

    /// <summary>Receive layout. Defaults to <see cref="EpLayout.Flat"/>.</summary>
    public EpLayout Layout { get; set; } = EpLayout.Flat;

    /// <summary>Kernel family. Defaults to <see cref="EpAlgorithm.HighThroughput"/>.</summary>
    public EpAlgorithm Algorithm { get; set; } = EpAlgorithm.HighThroughput;

    /// <summary>
    /// Rows a rank can receive in one Dispatch (one row per (source rank, token) with an expert on it).
    /// 0 (the default) means the dropless worst case, Ranks × MaxTokensPerRank, so dispatch never overflows.
    /// A smaller value saves memory; a step that would need more rows throws before anything is written.
    /// </summary>
    public int RecvCapacityPerRank { get; set; }

    /// <summary>
    /// ExpertMajor only: each local expert's group of rows is padded with zero rows to a multiple of this
    /// (a power of two; 0 or 1 means no padding). Grouped GEMMs often want 16 or 128.
    /// </summary>
    public int ExpertAlignment { get; set; }

    /// <summary>When true, Unpermute multiplies each expert output by its routing weight (fp32 accumulation).</summary>
    public bool ApplyWeightsInCombine { get; set; }

    /// <summary>
    /// When true, the layer owns symmetric (window-registered) forward buffers that peers write into directly,
    /// and the methods whose buffers peers touch take <c>SymmetricTensor&lt;T&gt;</c>.
    /// </summary>
    public bool ZeroCopy { get; set; }

    /// <summary>World size, when it is known at compile time (enables the divisibility and memory checks). 0 = known only at run time.</summary>
    public int Ranks { get; set; }

    /// <summary>
    /// Device memory in GiB that the worst-case receive buffers of one rank may use before warning EP0013 fires.
    /// 0 (the default) means no budget is checked.
    /// </summary>
    public double MemoryBudgetGiB { get; set; }
}
