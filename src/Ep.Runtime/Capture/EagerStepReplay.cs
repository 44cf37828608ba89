using System;
using System.Runtime.ExceptionServices;
using Ep.Interop.Cuda;

namespace Ep;

/// <summary>
/// A captured step on an engine that cannot make a CUDA graph of it: each replay runs the layer's own Dispatch, the
/// experts and Combine. Its routing errors are kept for <see cref="Wait"/>, as a graph's are, so code written against
/// <see cref="EpCapturedStep"/> behaves the same on every engine (except that nothing was written on an error here).
/// </summary>
internal sealed class EagerStepReplay(EpLayerRuntime layer, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx,
    DeviceTensor<float> topkWeights, Func<EpStepRows, DeviceTensor<BFloat16>> experts, int groupRows) : IStepReplay
{
    // The device copy of each replay's counts, which expert code reads as a graph's experts would, and the experts'
    // output buffer (a graph's is the layer's own combine buffer; Combine here copies from this one).
    private readonly DeviceTensor<int> _expertCounts = DeviceTensor<int>.Allocate(layer.Group.Device, layer.LocalExperts);
    private readonly DeviceTensor<BFloat16> _output = DeviceTensor<BFloat16>.Allocate(layer.Group.Device, layer.LocalExperts * groupRows, layer.Spec.HiddenSize);
    private DeviceTensor<BFloat16>? _combined;
    private EpRoutingException? _error;

    public bool IsGraph => false;

    public void Replay()
    {
        _combined = null;
        _error = null;
        EpDispatchResult dispatched;
        try
        {
            dispatched = layer.Dispatch(tokens, topkIdx, topkWeights);
        }
        catch (EpRoutingException error)
        {
            _error = error;
            return;
        }

        _expertCounts.CopyFrom([.. dispatched.ExpertCounts]);
        _combined = layer.Combine(experts(new EpStepRows(dispatched.Tokens, _expertCounts, _output, groupRows, layer.DeviceStream)));
    }

    public DeviceTensor<BFloat16> Wait()
    {
        if (_error is not null)
        {
            ExceptionDispatchInfo.Throw(_error);
        }

        if (layer.DeviceStream != IntPtr.Zero)
        {
            CudaException.ThrowIfFailed(CudaDriver.StreamSynchronize(layer.DeviceStream));
        }

        return _combined ?? throw new InvalidOperationException("The step has not been replayed.");
    }

    public void Dispose()
    {
        _expertCounts.Dispose();
        _output.Dispose();
    }
}
