using System;

namespace Ep;

/// <summary>
/// A whole forward step captured by <c>CaptureStep</c>: <see cref="Replay"/> runs Dispatch, Permute, the experts,
/// Unpermute and Combine again on the same input tensors (write new tokens, ids and weights into them between
/// replays), and <see cref="Wait"/> returns the combined rows. A training step (<c>CaptureTrainingStep</c>) runs the
/// backward pass after them, and <see cref="WaitGradients"/> returns its gradients. On the NcclEp engine a replay is
/// one CUDA graph launch.
/// </summary>
/// <remarks>
/// Routing is checked on the device inside the step: a bad entry (an id outside [-1, E), an expert named twice in a row)
/// is dropped from the step as if it were −1 — NCCL EP never sees it — and <see cref="Wait"/> throws the same
/// <see cref="EpRoutingException"/> on every rank, after the replay, naming the lowest rank's first bad entry. The
/// rows that replay returned are then those of the step without the dropped entries. Dispose a captured step before its
/// layer (the layer disposes any left).
/// </remarks>
public sealed class EpCapturedStep : IDisposable
{
    private readonly EpLayerRuntime _layer;
    private readonly IStepReplay _replay;
    private bool _replayed;
    private bool _disposed;

    internal EpCapturedStep(EpLayerRuntime layer, IStepReplay replay, string how, int tokenCount, bool training)
    {
        _layer = layer;
        _replay = replay;
        How = how;
        TokenCount = tokenCount;
        IsTraining = training;
    }

    /// <summary>True when each replay is one CUDA graph launch (no host synchronisation, no allocation, no host checks).</summary>
    public bool IsGraph => _replay.IsGraph;

    /// <summary>How a replay runs, and for eager replays why the engine cannot capture a graph.</summary>
    public string How { get; }

    /// <summary>T, the tokens of every replay (fixed when captured).</summary>
    public int TokenCount { get; }

    /// <summary>True for a training step (<c>CaptureTrainingStep</c>): each replay also runs the backward pass.</summary>
    public bool IsTraining { get; }

    /// <summary>
    /// Runs the step again. A CUDA graph is enqueued and the call returns at once; call <see cref="Wait"/> for the
    /// result. Collective: every rank replays its own captured step of the same layer.
    /// </summary>
    /// <exception cref="EpStateException">The layer's eager step has not reached Combine.</exception>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _layer.BeginReplay(this);
        _replay.Replay();
        _replayed = true;
    }

    /// <summary>
    /// Waits for the latest replay and returns its [T, H] combined rows (a view of the layer's buffer, valid until the
    /// next step of the layer).
    /// </summary>
    /// <exception cref="EpRoutingException">Some rank's routing had a bad entry in that replay (see the remarks).</exception>
    /// <exception cref="EpStateException">The step was not replayed yet.</exception>
    public DeviceTensor<BFloat16> Wait()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_replayed)
        {
            throw new EpStateException("EpCapturedStep.Wait was called before Replay; replay the step first.");
        }

        return _replay.Wait();
    }

    /// <summary>
    /// Waits for the latest replay of a training step (as <see cref="Wait"/>) and returns its gradients: [T, H] token
    /// gradients and, when the layer applies weights, [T, K] routing-weight gradients in the caller's top-k order (views
    /// of the layer's buffers, valid until the next step of the layer).
    /// </summary>
    /// <exception cref="EpRoutingException">Some rank's routing had a bad entry in that replay.</exception>
    /// <exception cref="EpStateException">The step is a forward step (<c>CaptureStep</c>), or was not replayed yet.</exception>
    public EpDispatchGradients WaitGradients()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsTraining)
        {
            throw new EpStateException("EpCapturedStep.WaitGradients was called on a forward step; capture it with CaptureTrainingStep to replay the backward pass too.");
        }

        Wait();
        return _replay.Gradients ?? throw new EpStateException("EpCapturedStep.WaitGradients found no gradients: the latest replay did not reach the backward pass.");
    }

    /// <summary>Releases the graph (if any).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _replay.Dispose();
        _layer.Forget(this);
    }
}
