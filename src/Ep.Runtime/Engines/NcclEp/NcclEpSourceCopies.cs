using System;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The layer's own copies of a step's ids and weights, which NCCL EP reads after the call that was given them
/// (LowLatency's handle keeps the ids' pointer and reads the ids and weights again in Combine; HighThroughput's handle
/// is compared with its ids while it is kept). Three pairs:
/// <list type="bullet">
/// <item>Two that eager Dispatch takes in turn. It copies a step's ids and weights into the pair the current step does not
/// use while its routing check runs, before its one host wait, and makes them current only once every check passed: a
/// Dispatch that throws leaves the current step whole. The ids and the weights turn separately, because a kept
/// HighThroughput handle goes on holding the earlier step's ids while the weights are new.</item>
/// <item>One for captured steps, written on the device by their routing check at every replay. No eager copy touches
/// it: a HighThroughput graph keeps the handle while those ids repeat (see NcclEpLayer.CapturedHandle).</item>
/// </list>
/// </summary>
internal sealed class NcclEpSourceCopies : IDisposable
{
    /// <summary>How many pairs are allocated (the memory plan counts them).</summary>
    public const int Pairs = 3;

    // [0]: the captured steps'; [1] and [2]: eager Dispatch's turns.
    private readonly DeviceTensor<long>[] _idx = new DeviceTensor<long>[Pairs];
    private readonly DeviceTensor<float>[] _weights = new DeviceTensor<float>[Pairs];
    private int _idxTurn = 1, _weightsTurn = 1;

    public NcclEpSourceCopies(EpDevice device, int maxTokens, int topK)
    {
        try
        {
            for (int pair = 0; pair < Pairs; pair++)
            {
                _idx[pair] = DeviceTensor<long>.Allocate(device, maxTokens, topK);
                _weights[pair] = DeviceTensor<float>.Allocate(device, maxTokens, topK);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The current eager step's ids (a kept HighThroughput handle's: those it was last updated with).</summary>
    public DeviceTensor<long> Idx => _idx[_idxTurn];

    /// <summary>The current eager step's weights.</summary>
    public DeviceTensor<float> Weights => _weights[_weightsTurn];

    /// <summary>Where the next eager Dispatch copies its ids before its checks pass.</summary>
    public DeviceTensor<long> NextIdx => _idx[Other(_idxTurn)];

    /// <summary>Where the next eager Dispatch copies its weights before its checks pass.</summary>
    public DeviceTensor<float> NextWeights => _weights[Other(_weightsTurn)];

    /// <summary>The ids every captured step's routing check writes and its graph hands NCCL EP.</summary>
    public DeviceTensor<long> CapturedIdx => _idx[0];

    /// <summary>The weights every captured step's routing check writes and its graph hands NCCL EP.</summary>
    public DeviceTensor<float> CapturedWeights => _weights[0];

    /// <summary>
    /// A Dispatch passed its checks: the weights it copied become the current ones, and so do its ids unless
    /// <paramref name="keepIdx"/> (a kept handle's ids stay the ones it holds).
    /// </summary>
    public void Commit(bool keepIdx)
    {
        _weightsTurn = Other(_weightsTurn);
        if (!keepIdx)
        {
            _idxTurn = Other(_idxTurn);
        }
    }

    public void Dispose()
    {
        for (int pair = 0; pair < Pairs; pair++)
        {
            _idx[pair]?.Dispose();
            _weights[pair]?.Dispose();
        }
    }

    private static int Other(int turn) => turn == 1 ? 2 : 1;
}
