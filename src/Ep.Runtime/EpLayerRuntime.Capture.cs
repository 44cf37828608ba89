using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ep;

public sealed partial class EpLayerRuntime
{
    private readonly List<EpCapturedStep> _capturedSteps = [];

    /// <summary>
    /// Captures one whole forward step — Dispatch, Permute, the <paramref name="experts"/>' work, Unpermute, Combine — so
    /// that <see cref="EpCapturedStep.Replay"/> reruns it on the same tensors. Where the engine can (NcclEp), the step
    /// becomes one CUDA graph: no host synchronisation, no allocation and no host checks inside; routing is checked on
    /// the device and reported by <see cref="EpCapturedStep.Wait"/>. Elsewhere each replay runs the eager calls (the
    /// step says why).
    /// </summary>
    /// <param name="tokens">[T, H] token rows; T is fixed for the step. Write new rows into this tensor between replays.</param>
    /// <param name="topkIdx">[T, K] expert ids, read again by every replay.</param>
    /// <param name="topkWeights">[T, K] routing weights, read again by every replay.</param>
    /// <param name="experts">
    /// Enqueues the experts' work on <see cref="EpStepRows.Stream"/> and returns their output, shaped as
    /// <see cref="EpStepRows.Tokens"/>. It is
    /// called once, while capturing, when the step is a CUDA graph, and on every replay otherwise: it must only enqueue
    /// work (and read counts on the device), never depend on host values of a particular step.
    /// </param>
    public EpCapturedStep CaptureStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts)
    {
        ArgumentNullException.ThrowIfNull(experts);
        RequireNoStepInFlight(nameof(CaptureStep));
        RequireStepInputs(tokens, topkIdx, topkWeights);
        return Capture(tokens, topkIdx, topkWeights, experts, backward: null);
    }

    /// <summary>
    /// Captures one whole training step: the forward step of <see cref="CaptureStep"/>, then, from the combined rows,
    /// <paramref name="outputGradient"/> (what follows the layer, down to the gradient of the combined rows),
    /// CombineBackward, UnpermuteBackward, <paramref name="expertsBackward"/>, PermuteBackward and DispatchBackward.
    /// <see cref="EpCapturedStep.WaitGradients"/> returns each replay's token gradients and, when the layer applies
    /// weights, the routing-weight gradients. HighThroughput layers only (LowLatency is inference-only).
    /// </summary>
    /// <param name="tokens">[T, H] token rows; T is fixed for the step. Write new rows into this tensor between replays.</param>
    /// <param name="topkIdx">[T, K] expert ids, read again by every replay.</param>
    /// <param name="topkWeights">[T, K] routing weights, read again by every replay.</param>
    /// <param name="experts">The experts' forward pass, as for <see cref="CaptureStep"/>.</param>
    /// <param name="outputGradient">
    /// Given the combined [T, H] rows, enqueues whatever follows the layer and returns the gradient of the loss with
    /// respect to those rows, [T, H] on the group's device (a tensor the caller writes between replays will do).
    /// Called once when the step is a CUDA graph, on every replay otherwise, as <paramref name="experts"/>.
    /// </param>
    /// <param name="expertsBackward">
    /// Given the gradient of the experts' output (<see cref="EpStepRows.Tokens"/>, grouped as the forward rows were,
    /// with the same counts and offsets), enqueues the experts' backward and returns the gradient of their input rows,
    /// shaped as <see cref="EpStepRows.Tokens"/>. <see cref="EpStepRows.Output"/> is free to write: it is the buffer of the
    /// experts' forward output, which nothing reads after UnpermuteBackward.
    /// </param>
    public EpCapturedStep CaptureTrainingStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts, Func<DeviceTensor<BFloat16>, DeviceTensor<BFloat16>> outputGradient,
        Func<EpStepRows, DeviceTensor<BFloat16>> expertsBackward)
    {
        ArgumentNullException.ThrowIfNull(experts);
        ArgumentNullException.ThrowIfNull(outputGradient);
        ArgumentNullException.ThrowIfNull(expertsBackward);
        RequireTrainable(nameof(CaptureTrainingStep));
        RequireNoStepInFlight(nameof(CaptureTrainingStep));
        RequireStepInputs(tokens, topkIdx, topkWeights);
        int tokenCount = tokens.Rows;
        var backward = new EpStepBackward(
            combined => RequireRowsOf(outputGradient(combined), "outputGradient", tokenCount, "T, the step's tokens (the gradient of the combined rows)"),
            rows => RequireRowsOf(expertsBackward(rows), "expertsBackward", rows.Tokens.Rows,
                "the rows of EpStepRows.Tokens (the gradient of the experts' input has one row per row they were given)"));
        return Capture(tokens, topkIdx, topkWeights, experts, backward);
    }

    private EpCapturedStep Capture(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts, EpStepBackward? backward)
    {
        IStepReplay replay;
        string how;
        Func<EpStepRows, DeviceTensor<BFloat16>> checkedExperts = rows => RequireRowsOf(experts(rows), "experts", rows.Tokens.Rows,
            "the rows of EpStepRows.Tokens (the experts' output has one row per received row)");
        if (_engine is IEpCapturableLayer capturable && capturable.WhyNotCapturable is null)
        {
            // Capturing may run one exchange first (NcclEp HighThroughput on a layer that has run none), which
            // overwrites the buffers an earlier eager result views, as a replay does.
            EndEagerStep();
            replay = capturable.CaptureStep(tokens, topkIdx, topkWeights, checkedExperts, backward);
            how = "one CUDA graph per replay" + (capturable.CapturedStepNote is { } note ? "; " + note : string.Empty);
        }
        else
        {
            how = "eager calls per replay: " + ((_engine as IEpCapturableLayer)?.WhyNotCapturable ?? WhyNotCapturable(_engine.Kind));
            replay = new EagerStepReplay(this, tokens, topkIdx, topkWeights, checkedExperts, backward);
        }

        var step = new EpCapturedStep(this, replay, how, tokens.Rows, training: backward is not null);
        _capturedSteps.Add(step);
        return step;
    }

    /// <summary>Called by <see cref="EpCapturedStep.Replay"/>: a replay starts a step, so the eager step before it ends.</summary>
    internal void BeginReplay(EpCapturedStep step)
    {
        RequireNoStepInFlight("Replay");
        ObjectDisposedException.ThrowIf(!_capturedSteps.Contains(step), step);

        if (step.IsGraph)
        {
            EndEagerStep();
        }
    }

    /// <summary>
    /// The graph overwrites the buffers an earlier eager result views: that result is refused from now on, and a
    /// prepared routing is replaced (capturing may run an eager exchange first).
    /// </summary>
    private void EndEagerStep()
    {
        ForgetPreparedRouting();
        _step++;
        _dispatched = null;
        _permuted = null;
        _unpermuted = false;
        _combined = false;
    }

    /// <summary>Called when a captured step is disposed.</summary>
    internal void Forget(EpCapturedStep step) => _capturedSteps.Remove(step);

    private void DisposeCapturedSteps()
    {
        foreach (EpCapturedStep step in _capturedSteps.ToArray())
        {
            step.Dispose();
        }
    }

    /// <summary>What a captured step's callback returned, checked as a [<paramref name="rows"/>, H] tensor on the group's device.</summary>
    private DeviceTensor<BFloat16> RequireRowsOf(DeviceTensor<BFloat16> output, string callback, int rows, string rowsMeaning)
    {
        RequireRows(output, callback, rows, rowsMeaning);
        return output;
    }

    private static string WhyNotCapturable(EpEngineKind engine) => engine switch
    {
        EpEngineKind.Reference => "the Reference engine runs on the CPU, so there is no device work to capture",
        EpEngineKind.Staged => "the Staged engine's Dispatch reads the routing counts back to the host and uploads per-step send offsets (simulated ranks also meet at host barriers)",
        _ => string.Create(CultureInfo.InvariantCulture, $"the {engine} engine cannot capture this layer's step"),
    };
}
