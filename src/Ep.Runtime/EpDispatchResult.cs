using System.Collections.Generic;

namespace Ep;

/// <summary>
/// What Dispatch delivered to this rank. The tensors are views of buffers the layer owns: they stay valid
/// until the next Dispatch on the same layer instance (use one instance per in-flight micro-batch). So do the counts
/// and offsets: the NcclEp engine refills two result objects in turn (a Dispatch allocates nothing), so a result two
/// steps old is the current step's again, while the previous step's is refused.
/// </summary>
public sealed class EpDispatchResult
{
    internal EpDispatchResult(long step, EpLayout layout, DeviceTensor<BFloat16> tokens, DeviceTensor<long>? topkIdx,
        DeviceTensor<float> topkWeights, int[] expertCounts, int[] expertOffsets, int tokenCount)
    {
        Step = step;
        Layout = layout;
        Tokens = tokens;
        TopkIdx = topkIdx;
        TopkWeights = topkWeights;
        ExpertCounts = expertCounts;
        ExpertOffsets = expertOffsets;
        TokenCount = tokenCount;
    }

    /// <summary>The layout of <see cref="Tokens"/>.</summary>
    public EpLayout Layout { get; }

    /// <summary>
    /// Received rows [N, H]. Flat: one row per (source rank, token) with an expert here, by source rank then token.
    /// ExpertMajor: one row per (token, local expert), grouped by local expert, groups padded with zero rows.
    /// LowLatency: leave the rows past each group's count as they are; the layer keeps them zero by clearing only the
    /// rows a later step vacates (docs/semantics.md).
    /// </summary>
    public DeviceTensor<BFloat16> Tokens { get; private set; }

    /// <summary>Flat: [N, K] local expert ids of each row, ascending, padded with −1. ExpertMajor: null (the group gives the expert).</summary>
    public DeviceTensor<long>? TopkIdx { get; private set; }

    /// <summary>Flat: [N, K] routing weights matching <see cref="TopkIdx"/> (0 for padding). ExpertMajor: [N], one per row (0 for padding rows).</summary>
    public DeviceTensor<float> TopkWeights { get; private set; }

    /// <summary>(token, expert) pairs per local expert, without padding.</summary>
    public IReadOnlyList<int> ExpertCounts { get; }

    /// <summary>
    /// Row where each local expert's group starts in the expert-major order (ExpertMajor: within <see cref="Tokens"/>,
    /// padded; Flat: within what Permute will produce).
    /// </summary>
    public IReadOnlyList<int> ExpertOffsets { get; }

    /// <summary>N, the rows of <see cref="Tokens"/>.</summary>
    public int RowCount => Tokens.Rows;

    /// <summary>T, the tokens this rank sent into the Dispatch that produced this result.</summary>
    public int TokenCount { get; private set; }

    /// <summary>The layer step this result belongs to; results of older steps are refused.</summary>
    internal long Step { get; private set; }

    /// <summary>
    /// Makes this object step <paramref name="step"/>'s result, for an engine that reuses its results: the caller has
    /// refilled the counts and offsets arrays it was created with.
    /// </summary>
    internal EpDispatchResult Renew(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long>? topkIdx, DeviceTensor<float> topkWeights, int tokenCount)
    {
        Step = step;
        Tokens = tokens;
        TopkIdx = topkIdx;
        TopkWeights = topkWeights;
        TokenCount = tokenCount;
        return this;
    }
}

/// <summary>Rows in expert-major order for a grouped GEMM, from Permute.</summary>
public sealed class EpPermutedBatch
{
    internal EpPermutedBatch(long step, DeviceTensor<BFloat16> tokens, int[] expertCounts, int[] expertOffsets)
    {
        Step = step;
        Tokens = tokens;
        ExpertCounts = expertCounts;
        ExpertOffsets = expertOffsets;
    }

    /// <summary>[M, H]: local expert e's rows are [ExpertOffsets[e], ExpertOffsets[e] + ExpertCounts[e]).</summary>
    public DeviceTensor<BFloat16> Tokens { get; private set; }

    /// <summary>Real rows per local expert (padding excluded).</summary>
    public IReadOnlyList<int> ExpertCounts { get; private set; }

    /// <summary>First row of each local expert's group.</summary>
    public IReadOnlyList<int> ExpertOffsets { get; private set; }

    /// <summary>M, the rows of <see cref="Tokens"/>: Flat sums the real counts; ExpertMajor includes padding.</summary>
    public int RowCount => Tokens.Rows;

    internal long Step { get; private set; }

    /// <summary>Makes this object step <paramref name="step"/>'s batch, for an engine that reuses its batches (the GPU engines: two in turn).</summary>
    internal EpPermutedBatch Renew(long step, DeviceTensor<BFloat16> tokens, int[] expertCounts, int[] expertOffsets)
    {
        Step = step;
        Tokens = tokens;
        ExpertCounts = expertCounts;
        ExpertOffsets = expertOffsets;
        return this;
    }
}

/// <summary>Gradients from UnpermuteBackward.</summary>
public sealed class EpUnpermuteGradients
{
    internal EpUnpermuteGradients(DeviceTensor<BFloat16> gradExpertOutput, DeviceTensor<float>? gradWeights)
    {
        GradExpertOutput = gradExpertOutput;
        GradWeights = gradWeights;
    }

    /// <summary>[M, H]: gradient of the expert outputs, in the permuted order.</summary>
    public DeviceTensor<BFloat16> GradExpertOutput { get; }

    /// <summary>
    /// Gradient of the received routing weights, shaped like <see cref="EpDispatchResult.TopkWeights"/>;
    /// null when the layer does not apply weights (<c>ApplyWeightsInCombine = false</c>).
    /// </summary>
    public DeviceTensor<float>? GradWeights { get; }

    /// <summary>
    /// <paramref name="cached"/> when it holds exactly these views, else a new object stored there: the GPU engines'
    /// views repeat while the row counts do, so their backward calls allocate nothing in steady state.
    /// </summary>
    internal static EpUnpermuteGradients Of(DeviceTensor<BFloat16> gradExpertOutput, DeviceTensor<float>? gradWeights, ref EpUnpermuteGradients? cached) =>
        cached is { } last && ReferenceEquals(last.GradExpertOutput, gradExpertOutput) && ReferenceEquals(last.GradWeights, gradWeights)
            ? last
            : cached = new EpUnpermuteGradients(gradExpertOutput, gradWeights);
}

/// <summary>Gradients from DispatchBackward, back on the ranks that sent the tokens.</summary>
public sealed class EpDispatchGradients
{
    internal EpDispatchGradients(DeviceTensor<BFloat16> gradTokens, DeviceTensor<float>? gradTopkWeights)
    {
        GradTokens = gradTokens;
        GradTopkWeights = gradTopkWeights;
    }

    /// <summary>[T, H]: for each token, the sum over every rank that received it.</summary>
    public DeviceTensor<BFloat16> GradTokens { get; }

    /// <summary>[T, K] in the caller's original top-k order (0 where topkIdx was −1); null when no weight gradient was passed.</summary>
    public DeviceTensor<float>? GradTopkWeights { get; }

    /// <summary><paramref name="cached"/> when it holds exactly these views, else a new object stored there (see <see cref="EpUnpermuteGradients.Of"/>).</summary>
    internal static EpDispatchGradients Of(DeviceTensor<BFloat16> gradTokens, DeviceTensor<float>? gradTopkWeights, ref EpDispatchGradients? cached) =>
        cached is { } last && ReferenceEquals(last.GradTokens, gradTokens) && ReferenceEquals(last.GradTopkWeights, gradTopkWeights)
            ? last
            : cached = new EpDispatchGradients(gradTokens, gradTopkWeights);
}
