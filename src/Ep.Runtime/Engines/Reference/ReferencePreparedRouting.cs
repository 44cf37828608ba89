using System;

namespace Ep;

/// <summary>
/// The Reference engine's prepared routing: a copy of the ids and weights taken during PrepareDispatch, which the
/// Dispatch that follows checks and routes by, so the caller may rewrite its tensors in between (the GPU engines' routing
/// records write the same copies on the device). [MaxTokensPerRank, K] on the host, allocated at the first preparation.
/// </summary>
internal sealed class ReferencePreparedRouting
{
    private readonly int _maxTokens;
    private readonly int _topK;
    private DeviceTensor<long>? _idx;
    private DeviceTensor<float>? _weights;

    public ReferencePreparedRouting(int maxTokens, int topK)
    {
        _maxTokens = maxTokens;
        _topK = topK;
    }

    /// <summary>Copies <paramref name="topkIdx"/> and <paramref name="topkWeights"/> ([T, K], T ≤ MaxTokensPerRank).</summary>
    public void Take(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        _idx ??= DeviceTensor<long>.FromArray(new long[_maxTokens * _topK], _maxTokens, _topK);
        _weights ??= DeviceTensor<float>.FromArray(new float[_maxTokens * _topK], _maxTokens, _topK);
        topkIdx.AsSpan().CopyTo(_idx.AsSpan());
        topkWeights.AsSpan().CopyTo(_weights.AsSpan());
    }

    /// <summary>The copy's first <paramref name="tokens"/> rows: the prepared [T, K] ids and weights (the runtime checked T).</summary>
    public (DeviceTensor<long> Idx, DeviceTensor<float> Weights) Rows(int tokens) =>
        _idx is null || _weights is null
            ? throw new InvalidOperationException("No routing was prepared (the layer runtime allows DispatchPrepared only after PrepareDispatch).")
            : (_idx.SliceRows(0, tokens), _weights.SliceRows(0, tokens));
}
