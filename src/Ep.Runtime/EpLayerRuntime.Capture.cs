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
        IStepReplay replay;
        string how;
        if (_engine is IEpCapturableLayer capturable && capturable.WhyNotCapturable is null)
        {
            // Capturing may run one exchange first (NcclEp HighThroughput on a layer that has run none), which
            // overwrites the buffers an earlier eager result views, as a replay does.
            EndEagerStep();
            replay = capturable.CaptureStep(tokens, topkIdx, topkWeights, rows => RequireExpertOutput(experts(rows), rows));
            how = "one CUDA graph per replay";
        }
        else
        {
            how = "eager calls per replay: " + ((_engine as IEpCapturableLayer)?.WhyNotCapturable ?? WhyNotCapturable(_engine.Kind));
            replay = new EagerStepReplay(this, tokens, topkIdx, topkWeights, rows => RequireExpertOutput(experts(rows), rows));
        }

        var step = new EpCapturedStep(this, replay, how, tokens.Rows);
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

    /// <summary>The graph overwrites the buffers an earlier eager result views: that result is refused from now on.</summary>
    private void EndEagerStep()
    {
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

    /// <summary>The experts' output has one row per row they were given (<see cref="EpStepRows.Tokens"/>), on the group's device.</summary>
    private DeviceTensor<BFloat16> RequireExpertOutput(DeviceTensor<BFloat16> output, EpStepRows rows)
    {
        RequireRows(output, "experts", rows.Tokens.Rows, "the rows of EpStepRows.Tokens (the experts' output has one row per received row)");
        return output;
    }

    private static string WhyNotCapturable(EpEngineKind engine) => engine switch
    {
        EpEngineKind.Reference => "the Reference engine runs on the CPU, so there is no device work to capture",
        EpEngineKind.Staged => "the Staged engine's Dispatch reads the routing counts back to the host and uploads per-step send offsets (simulated ranks also meet at host barriers)",
        _ => string.Create(CultureInfo.InvariantCulture, $"the {engine} engine cannot capture this layer's step"),
    };
}
