using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using Ep.Interop.Cuda;

namespace Ep;

/// <summary>
/// A captured step on an engine that cannot make a CUDA graph of it: each replay runs the layer's own Dispatch,
/// Permute, the experts, Unpermute and Combine (LowLatency: Dispatch, the experts, Combine — its Permute is a view and
/// its Unpermute a copy); a training step then CombineBackward, UnpermuteBackward, the experts' backward,
/// PermuteBackward and DispatchBackward. Its routing errors are kept for <see cref="Wait"/>, as a graph's are, so code
/// written against <see cref="EpCapturedStep"/> behaves the same on every engine (except that nothing was written on an
/// error here).
/// </summary>
internal sealed class EagerStepReplay : IStepReplay
{
    private readonly EpLayerRuntime _layer;
    private readonly DeviceTensor<BFloat16> _tokens;
    private readonly DeviceTensor<long> _topkIdx;
    private readonly DeviceTensor<float> _topkWeights;
    private readonly Func<EpStepRows, DeviceTensor<BFloat16>> _experts;
    private readonly EpStepBackward? _backward;
    private readonly bool _lowLatency;
    private readonly int _groupRows;

    // The device copies of each replay's counts and offsets, which expert code reads as a graph's experts would, and
    // the experts' output buffer at its largest (a graph's is one of the layer's own buffers).
    private readonly DeviceTensor<int> _expertCounts;
    private readonly DeviceTensor<int> _expertOffsets;
    private readonly DeviceTensor<BFloat16> _output;
    private DeviceTensor<BFloat16>? _combined;
    private EpDispatchGradients? _gradients;
    private EpRoutingException? _error;

    public EagerStepReplay(EpLayerRuntime layer, DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts, EpStepBackward? backward)
    {
        _layer = layer;
        _tokens = tokens;
        _topkIdx = topkIdx;
        _topkWeights = topkWeights;
        _experts = experts;
        _backward = backward;
        int ranks = layer.Group.WorldSize;
        _lowLatency = layer.Spec.Algorithm == EpAlgorithm.LowLatency;
        _groupRows = _lowLatency ? checked(ranks * layer.Spec.MaxTokensPerRank) : 0;
        long outputRows = _lowLatency ? layer.Spec.LowLatencyCapacity(ranks) : layer.Spec.ExpertMajorCapacity(ranks);
        EpDevice device = layer.Group.Device;
        _expertCounts = DeviceTensor<int>.Allocate(device, layer.LocalExperts);
        _expertOffsets = DeviceTensor<int>.Allocate(device, layer.LocalExperts);
        _output = DeviceTensor<BFloat16>.Allocate(device, checked((int)outputRows), layer.Spec.HiddenSize);
    }

    public bool IsGraph => false;

    public EpDispatchGradients? Gradients => _gradients;

    public void Replay()
    {
        _combined = null;
        _gradients = null;
        _error = null;
        EpDispatchResult dispatched;
        try
        {
            dispatched = _layer.Dispatch(_tokens, _topkIdx, _topkWeights);
        }
        catch (EpRoutingException error)
        {
            _error = error;
            return;
        }

        if (_lowLatency)
        {
            _combined = _layer.Combine(_experts(Rows(dispatched.Tokens, dispatched.ExpertCounts, dispatched.ExpertOffsets)));
            return;
        }

        EpPermutedBatch batch = _layer.Permute(dispatched);
        DeviceTensor<BFloat16> expertOutput = _experts(Rows(batch.Tokens, batch.ExpertCounts, batch.ExpertOffsets));
        _combined = _layer.Combine(_layer.Unpermute(batch, expertOutput));
        if (_backward is null)
        {
            return;
        }

        // The experts' forward output is read by UnpermuteBackward and not after: their backward may write over it.
        EpUnpermuteGradients u = _layer.UnpermuteBackward(batch, expertOutput, _layer.CombineBackward(_backward.OutputGradient(_combined)));
        DeviceTensor<BFloat16> gradExpertInput = _backward.Experts(Rows(u.GradExpertOutput, batch.ExpertCounts, batch.ExpertOffsets));
        _gradients = _layer.DispatchBackward(_layer.PermuteBackward(batch, gradExpertInput), u.GradWeights);
    }

    public DeviceTensor<BFloat16> Wait()
    {
        if (_error is not null)
        {
            ExceptionDispatchInfo.Throw(_error);
        }

        if (_layer.DeviceStream != IntPtr.Zero)
        {
            CudaException.ThrowIfFailed(CudaDriver.StreamSynchronize(_layer.DeviceStream));
        }

        return _combined ?? throw new InvalidOperationException("The step has not been replayed.");
    }

    public void Dispose()
    {
        _expertCounts.Dispose();
        _expertOffsets.Dispose();
        _output.Dispose();
    }

    /// <summary>The experts' view of this replay: <paramref name="tokens"/>, the counts and offsets copied to the device, an output of as many rows.</summary>
    private EpStepRows Rows(DeviceTensor<BFloat16> tokens, IReadOnlyList<int> counts, IReadOnlyList<int> offsets)
    {
        _expertCounts.CopyFrom([.. counts]);
        _expertOffsets.CopyFrom([.. offsets]);
        return new EpStepRows(tokens, _expertCounts, _expertOffsets, _output.SliceRows(0, tokens.Rows), _groupRows, _layer.DeviceStream);
    }
}
