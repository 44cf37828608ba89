using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ep;

public sealed partial class EpLayerRuntime
{
    private readonly List<EpCapturedStep> _capturedSteps = [];

    /// <summary>
    /// Captures one whole LowLatency forward step — Dispatch, the <paramref name="experts"/>' work, Combine — so that
    /// <see cref="EpCapturedStep.Replay"/> reruns it on the same tensors. Where the engine can (NcclEp), the step becomes
    /// one CUDA graph: no host synchronisation, no allocation and no host checks inside; routing is checked on the device
    /// and reported by <see cref="EpCapturedStep.Wait"/>. Elsewhere each replay runs the eager calls (the step says why).
    /// </summary>
    /// <param name="tokens">[T, H] token rows; T is fixed for the step. Write new rows into this tensor between replays.</param>
    /// <param name="topkIdx">[T, K] expert ids, read again by every replay.</param>
    /// <param name="topkWeights">[T, K] routing weights, read again by every replay.</param>
    /// <param name="experts">
    /// Enqueues the experts' work on <see cref="EpStepRows.Stream"/> and returns their [L × GroupRows, H] output. It is
    /// called once, while capturing, when the step is a CUDA graph, and on every replay otherwise: it must only enqueue
    /// work (and read counts on the device), never depend on host values of a particular step.
    /// </param>
    public EpCapturedStep CaptureStep(DeviceTensor<BFloat16> tokens, DeviceTensor<long> topkIdx, DeviceTensor<float> topkWeights,
        Func<EpStepRows, DeviceTensor<BFloat16>> experts)
    {
        ArgumentNullException.ThrowIfNull(experts);
        RequireNoStepInFlight(nameof(CaptureStep));
        if (Spec.Algorithm != EpAlgorithm.LowLatency)
        {
            throw new NotSupportedException(
                $"{LayerName}.CaptureStep: only LowLatency layers have the static shapes a captured step needs (HighThroughput sizes its results from each step's routing).");
        }

        RequireStepInputs(tokens, topkIdx, topkWeights);
        int groupRows = checked(Group.WorldSize * Spec.MaxTokensPerRank);
        IStepReplay replay;
        string how;
        if (_engine is IEpCapturableLayer capturable && capturable.WhyNotCapturable is null)
        {
            replay = capturable.CaptureStep(tokens, topkIdx, topkWeights, rows => RequireExpertOutput(experts(rows), rows));
            how = "one CUDA graph per replay";
        }
        else
        {
            how = "eager calls per replay: " + ((_engine as IEpCapturableLayer)?.WhyNotCapturable ?? WhyNotCapturable(_engine.Kind));
            replay = new EagerStepReplay(this, tokens, topkIdx, topkWeights, rows => RequireExpertOutput(experts(rows), rows), groupRows);
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
            // The graph overwrites the buffers an earlier eager result views: that result is refused from now on.
            _step++;
            _dispatched = null;
            _permuted = null;
            _unpermuted = false;
            _combined = false;
        }
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

    /// <summary>The experts' output must fill every group: [L × GroupRows, H] on the group's device.</summary>
    private DeviceTensor<BFloat16> RequireExpertOutput(DeviceTensor<BFloat16> output, EpStepRows rows)
    {
        RequireRows(output, "experts", rows.Tokens.Rows, "L × GroupRows (the experts' output has one row per received row)");
        return output;
    }

    private static string WhyNotCapturable(EpEngineKind engine) => engine switch
    {
        EpEngineKind.Reference => "the Reference engine runs on the CPU, so there is no device work to capture",
        EpEngineKind.Staged => "the Staged engine's Dispatch reads the routing counts back to the host and uploads per-step send offsets (simulated ranks also meet at host barriers)",
        _ => string.Create(CultureInfo.InvariantCulture, $"the {engine} engine cannot capture this layer's step"),
    };
}
