using System;

namespace Ep.Engines.Staged;

/// <summary>
/// Forwards every operation to a Staged layer and reports to the transport any exception that only this rank threw
/// (see <see cref="StagedAgreedErrors"/>): a process world cannot signal its peers, so the transport must know to abort
/// its communicator instead of waiting for a stream a peer will never complete. The filter never catches, so the
/// exception keeps its stack and the success path costs nothing.
/// </summary>
internal sealed class StagedFailureTrackingLayer : IEpLayerEngine
{
    private readonly IEpLayerEngine _layer;
    private readonly IStagedTransport _transport;

    public StagedFailureTrackingLayer(IEpLayerEngine layer, IStagedTransport transport)
    {
        _layer = layer;
        _transport = transport;
    }

    public EpEngineKind Kind => _layer.Kind;

    public IntPtr DeviceStream => _layer.DeviceStream;

    public EpDispatchResult Dispatch(long step, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        try
        {
            return _layer.Dispatch(step, tokens, topkIdx, topkWeights);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public void PrepareDispatch(DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights)
    {
        try
        {
            _layer.PrepareDispatch(topkIdx, topkWeights);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public EpDispatchResult DispatchPrepared(long step, DeviceTensor<BFloat16> tokens)
    {
        try
        {
            return _layer.DispatchPrepared(step, tokens);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public EpPermutedBatch Permute(EpDispatchResult dispatched)
    {
        try
        {
            return _layer.Permute(dispatched);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public DeviceTensor<BFloat16> Unpermute(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput)
    {
        try
        {
            return _layer.Unpermute(batch, expertOutput);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public DeviceTensor<BFloat16> Combine(DeviceTensor<BFloat16> combineInput)
    {
        try
        {
            return _layer.Combine(combineInput);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public DeviceTensor<BFloat16> CombineBackward(DeviceTensor<BFloat16> gradOutput)
    {
        try
        {
            return _layer.CombineBackward(gradOutput);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public EpUnpermuteGradients UnpermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> expertOutput, DeviceTensor<BFloat16> gradCombineInput)
    {
        try
        {
            return _layer.UnpermuteBackward(batch, expertOutput, gradCombineInput);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public DeviceTensor<BFloat16> PermuteBackward(EpPermutedBatch batch, DeviceTensor<BFloat16> gradPermuted)
    {
        try
        {
            return _layer.PermuteBackward(batch, gradPermuted);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public EpDispatchGradients DispatchBackward(DeviceTensor<BFloat16> gradReceived, DeviceTensor<float>? gradReceivedWeights)
    {
        try
        {
            return _layer.DispatchBackward(gradReceived, gradReceivedWeights);
        }
        catch (Exception error) when (Report(error))
        {
            throw;
        }
    }

    public void Dispose() => _layer.Dispose();

    /// <summary>Notes a rank-local failure; always false, so the exception filter lets the exception pass untouched.</summary>
    private bool Report(Exception error)
    {
        if (!StagedAgreedErrors.IsAgreed(error))
        {
            _transport.NoteFailure(error);
        }

        return false;
    }
}
