using Ep.Bench.Engines;

namespace Ep.Bench.Graphs;

/// <summary>Whether a step of an engine can be captured into a CUDA graph, and why (not).</summary>
/// <param name="Capturable">True when a whole step can be captured and replayed.</param>
/// <param name="Reason">What decides it, for the table and the JSON.</param>
internal sealed record CudaGraphDecision(bool Capturable, string Reason);

/// <summary>
/// The decision table for <c>--cuda-graph</c>. Stream capture records device work without running it, so a step can be
/// captured only if nothing in it makes the host wait for the device, reads device memory on the host, or allocates.
/// Each engine breaks that today, so the benchmark reports the reason instead of timing a replay it cannot make.
/// Change a row here when an engine changes (and time the replays then).
/// </summary>
internal static class CudaGraphSupport
{
    /// <summary>Why every engine's Dispatch cannot be captured: Ep itself reads the routing counts back.</summary>
    public const string RoutingReadBack =
        "Dispatch reads the routing counts back to the host (one stream synchronisation per Dispatch) to check capacity and size the outputs before any row moves";

    /// <summary>The row for <paramref name="engine"/> running a layer of <paramref name="algorithm"/>.</summary>
    public static CudaGraphDecision Decide(BenchEngine engine, EpAlgorithm algorithm) => (engine, algorithm) switch
    {
        (BenchEngine.Reference, _) =>
            new(false, "the Reference engine runs on the CPU: there is no device work to capture"),
        (BenchEngine.Staged, _) =>
            new(false, RoutingReadBack + "; the Staged engine also uploads per-step send offsets from host memory, and simulated ranks meet at host barriers inside every exchange"),
        (BenchEngine.NcclEp, EpAlgorithm.HighThroughput) =>
            new(false, RoutingReadBack + "; NCCL EP v0.1 HT also blocks the host inside ncclEpDispatch (it waits for its own receive counts)"),
        (BenchEngine.NcclEp, _) =>
            new(false, RoutingReadBack + " (NCCL EP v0.1 LL itself is capturable with static sizes; Ep's routing check is what blocks it)"),
        _ => throw new System.ArgumentOutOfRangeException(nameof(engine), engine, "Not an engine."),
    };
}
