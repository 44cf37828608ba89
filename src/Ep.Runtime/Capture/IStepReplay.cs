using System;

namespace Ep;

/// <summary>One way to run a captured step again: a CUDA graph, or the layer's eager calls.</summary>
internal interface IStepReplay : IDisposable
{
    /// <summary>True when <see cref="Replay"/> launches a CUDA graph.</summary>
    bool IsGraph { get; }

    /// <summary>A training step's token and weight gradients (read after <see cref="Wait"/>); null for a forward step.</summary>
    EpDispatchGradients? Gradients { get; }

    /// <summary>Runs the step (a graph: enqueues it and returns).</summary>
    void Replay();

    /// <summary>Waits for the latest replay and returns its combined rows; throws the routing error it found.</summary>
    DeviceTensor<BFloat16> Wait();
}

/// <summary>An engine layer that can capture a whole step into a CUDA graph.</summary>
internal interface IEpCapturableLayer
{
    /// <summary>Null when <see cref="CaptureStep"/> can capture this layer's step; otherwise why not.</summary>
    string? WhyNotCapturable { get; }

    /// <summary>
    /// Records Dispatch → (Permute →) <paramref name="experts"/> → (Unpermute →) Combine into a graph, and with
    /// <paramref name="backward"/> the backward pass after it (nothing runs yet).
    /// </summary>
    IStepReplay CaptureStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts, EpStepBackward? backward);

    /// <summary>What a replay of the latest captured step does that the caller may want to know (for <see cref="EpCapturedStep.How"/>); null when nothing.</summary>
    string? CapturedStepNote { get; }
}
