using Ep.Bench.Engines;

namespace Ep.Bench.Graphs;

/// <summary>Whether a step of an engine can be captured into a CUDA graph, and why (not).</summary>
/// <param name="Capturable">True when a whole step can be captured and replayed.</param>
/// <param name="Reason">What decides it, for the table and the JSON.</param>
/// <param name="Replay">The replays' timing, when the step was captured and timed.</param>
/// <param name="TrainingReplay">HighThroughput: the captured training step's (forward and backward) replays' timing.</param>
internal sealed record CudaGraphDecision(bool Capturable, string Reason, CudaGraphTiming? Replay = null, CudaGraphTiming? TrainingReplay = null);

/// <summary>
/// The decision table for <c>--cuda-graph</c>. Stream capture records device work without running it, so a step can be
/// captured only if nothing in it makes the host wait for the device, reads device memory on the host, or allocates.
/// The NcclEp engine's step has that (<c>CaptureStep</c>: routing checked on the device, errors read after the replay)
/// in both algorithms, HighThroughput when its receive buffers are dropless; the others say what breaks it. Change a
/// row here when an engine changes.
/// </summary>
internal static class CudaGraphSupport
{
    /// <summary>Why an eager Dispatch cannot be captured: Ep itself reads the routing counts back.</summary>
    public const string RoutingReadBack =
        "Dispatch reads the routing counts back to the host (one stream synchronisation per Dispatch) to check capacity and size the outputs before any row moves";

    /// <summary>The row for <paramref name="engine"/> running <paramref name="spec"/> at <paramref name="ranks"/> ranks.</summary>
    public static CudaGraphDecision Decide(BenchEngine engine, EpLayerSpec spec, int ranks)
    {
        System.ArgumentNullException.ThrowIfNull(spec);
        return (engine, spec.Algorithm) switch
        {
            (BenchEngine.Reference, _) =>
                new(false, "the Reference engine runs on the CPU: there is no device work to capture"),
            (BenchEngine.Staged, _) =>
                new(false, RoutingReadBack + "; the Staged engine also uploads per-step send offsets from host memory, and simulated ranks meet at host barriers inside every exchange"),
            (BenchEngine.NcclEp, EpAlgorithm.HighThroughput) when Ep.Engines.NcclEp.NcclEpLayer.CaptureRefusal(spec, ranks) is { } refusal =>
                new(false, refusal),
            (BenchEngine.NcclEp, EpAlgorithm.HighThroughput) =>
                new(true, "CaptureStep records Dispatch → Permute → experts → Unpermute → Combine as one CUDA graph, and CaptureTrainingStep the backward pass after it (CombineBackward → UnpermuteBackward → experts → PermuteBackward → DispatchBackward) in the same graph: the receive buffers are dropless, NCCL EP HT copies its whole slot count inside a graph instead of waiting for its receive count, and every kernel after it reads the step's counts from NCCL EP's handle update on the device; routing is checked on the device (bad ids dropped before NCCL EP, reported by Wait after the replay)"),
            (BenchEngine.NcclEp, _) =>
                new(true, "CaptureStep records Dispatch → experts → Combine as one CUDA graph: LowLatency's groups are fixed, routing is checked on the device (bad ids dropped before NCCL EP, reported by Wait after the replay)"),
            _ => throw new System.ArgumentOutOfRangeException(nameof(engine), engine, "Not an engine."),
        };
    }
}
