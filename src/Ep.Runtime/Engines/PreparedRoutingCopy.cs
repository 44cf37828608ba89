using System;

namespace Ep;

/// <summary>
/// The Reference and Staged engines' prepared routing: a copy of the ids and weights taken when PrepareDispatch ran,
/// which the Dispatch that follows routes by — so the caller may rewrite its tensors in between, as it may on NcclEp,
/// whose routing record writes the same copy on the device while it starts the checks. [MaxTokensPerRank, K] ids and
/// weights (12 bytes per entry), allocated at the layer's first preparation: a layer never prepared holds none.
/// </summary>
internal sealed class PreparedRoutingCopy : IDisposable
{
    private readonly EpDevice _device;
    private readonly int _maxTokens;
    private readonly int _topK;
    private DeviceTensor<long>? _idx;
    private DeviceTensor<float>? _weights;
    private int? _tokens;

    public PreparedRoutingCopy(EpDevice device, int maxTokens, int topK)
    {
        _device = device;
        _maxTokens = maxTokens;
        _topK = topK;
    }

    /// <summary>The first <paramref name="tokens"/> rows of the copy, for the caller to fill now; they are the prepared routing until <see cref="Take"/>.</summary>
    public (DeviceTensor<long> Idx, DeviceTensor<float> Weights) Reserve(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, _maxTokens);
        _idx ??= DeviceTensor<long>.Allocate(_device, _maxTokens, _topK);
        _weights ??= DeviceTensor<float>.Allocate(_device, _maxTokens, _topK);
        _tokens = tokens;
        return (_idx.SliceRows(0, tokens), _weights.SliceRows(0, tokens));
    }

    /// <summary>The prepared rows, once: a second call without a <see cref="Reserve"/> between throws.</summary>
    public (DeviceTensor<long> Idx, DeviceTensor<float> Weights) Take()
    {
        int tokens = _tokens ?? throw new InvalidOperationException("No routing was prepared (the layer runtime allows DispatchPrepared only after PrepareDispatch).");
        _tokens = null;
        return (_idx!.SliceRows(0, tokens), _weights!.SliceRows(0, tokens));
    }

    public void Dispose()
    {
        _idx?.Dispose();
        _weights?.Dispose();
    }
}
