using System.Collections.Generic;
using Ep.Bench.Baselines;
using Ep.Bench.Graphs;
using Ep.Bench.Metrics;

namespace Ep.Bench.Report;

/// <summary>One row of the table: an operation or span of one engine.</summary>
/// <param name="Operation">dispatch, combine, …, forward, step.</param>
/// <param name="DeviceMicroseconds">Device time from CUDA events (all ranks' samples pooled); null on the CPU.</param>
/// <param name="HostMicroseconds">Wall time of the call on the host, measured in a separate pass.</param>
/// <param name="BytesPerRank">ep_bench's byte count for one rank (mean over ranks); null for local operations.</param>
/// <param name="GigabytesPerSecond">BytesPerRank over the median device time (host time on the CPU), as ep_bench divides.</param>
/// <param name="AllRanksGigabytesPerSecond">Every rank's bytes over the median time: what the one GPU moved when ranks are simulated on it.</param>
/// <param name="EpBenchGigabytesPerSecond">ep_bench's figure for the same operation and configuration (one rank), when it ran.</param>
/// <param name="RatioToEpBench">GigabytesPerSecond / EpBenchGigabytesPerSecond.</param>
/// <param name="AllocatedBytes">Managed bytes the calling thread allocated per call in the host pass, after warm-up (all ranks pooled); null for spans.</param>
/// <param name="RankGigabytesPerSecond">Process runs: each rank's bytes over its own median device time, min / median / max over ranks
/// (then <paramref name="GigabytesPerSecond"/> is that median).</param>
/// <param name="RatioToAllToAll">Process runs: the plain NCCL all-to-all's median time ÷ this operation's, per rank, median over ranks
/// (for HT the ratio of GB/s, both counted with the HT formula); null for local operations.</param>
internal sealed record OperationResult(
    string Operation,
    SampleSummary? DeviceMicroseconds,
    SampleSummary? HostMicroseconds,
    double? BytesPerRank,
    double? GigabytesPerSecond,
    double? AllRanksGigabytesPerSecond,
    double? EpBenchGigabytesPerSecond,
    double? RatioToEpBench,
    SampleSummary? AllocatedBytes = null,
    Processes.RankSpread? RankGigabytesPerSecond = null,
    double? RatioToAllToAll = null);

/// <summary>One engine's outcome.</summary>
/// <param name="Engine">staged, nccl-ep or reference.</param>
/// <param name="Status">ok, skipped (cannot run here or for this layer) or failed (threw while running).</param>
/// <param name="Detail">The engine's own reason line when ok; why not otherwise.</param>
/// <param name="Ranks">Ranks it ran with.</param>
/// <param name="Operations">Rows, empty unless ok.</param>
/// <param name="CudaGraph">The capture decision, when --cuda-graph was given.</param>
/// <param name="Memory">Device memory per rank next to the plan, when measured (GPU engines).</param>
/// <param name="Floor">The step's time against bytes moved ÷ copy bandwidth (GPU engines with a step and a copy baseline).</param>
/// <param name="DispatchSplit">NcclEp: the Dispatch host time by part, the native call beside ep_bench's.</param>
/// <param name="OwnHostTime">NcclEp: the host time Ep adds to Dispatch and Combine (each call minus NCCL EP's calls, and minus every native call).</param>
/// <param name="DeviceDispatchSplit">NcclEp: the same parts of Dispatch on its stream (events it records in the device pass).</param>
/// <param name="PrepareDispatch">--prepared: each step's PrepareDispatch, outside the spans (host time and managed bytes).</param>
internal sealed record EngineResult(string Engine, string Status, string? Detail, int Ranks, IReadOnlyList<OperationResult> Operations, CudaGraphDecision? CudaGraph,
    Memory.EngineMemory? Memory = null, StepFloor? Floor = null, DispatchSplit? DispatchSplit = null, OwnHostTime? OwnHostTime = null,
    DispatchSplit? DeviceDispatchSplit = null, PrepareDispatchCost? PrepareDispatch = null);

/// <summary>
/// The layer's constants as run; <c>NewRoutingEachStep</c>: whether every step's Dispatch had routing other than the
/// previous step's (<c>--new-routing</c>), else one routing throughout, as ep_bench; <c>PreparedRouting</c>: whether
/// each step started with an untimed PrepareDispatch (<c>--prepared</c>).
/// </summary>
internal sealed record LayerConfiguration(string Name, string Mode, int TokensPerRank, int HiddenSize, int TopK, int Experts, bool ZeroCopy, int Warmup, int Iterations,
    bool NewRoutingEachStep = false, bool PreparedRouting = false)
{
    /// <summary>The configuration <paramref name="options"/> runs.</summary>
    public static LayerConfiguration Of(Options.BenchOptions options)
    {
        System.ArgumentNullException.ThrowIfNull(options);
        EpLayerSpec spec = options.Layer.Spec;
        return new LayerConfiguration(options.Layer.Name, options.Layer.ModeText, options.Tokens, spec.HiddenSize, spec.TopK, spec.Experts, spec.ZeroCopy,
            options.Warmup, options.Iterations, options.NewRoutingEachStep, options.PreparedRouting);
    }
}

/// <summary>Everything one run measured; written as the table and as JSON.</summary>
/// <remarks><c>HostRoundTripMicroseconds</c>: the host's floor for a call whose result it reads from the device (<see cref="HostRoundTrip"/>), on a GPU.</remarks>
internal sealed record BenchReport(
    string Tool,
    string StartedUtc,
    string? Device,
    LayerConfiguration Configuration,
    CopyBaseline? CopyBaseline,
    string? CopyBaselineProblem,
    EpBenchResult? EpBench,
    IReadOnlyList<EngineResult> Engines,
    ProcessRun? Processes = null,
    SampleSummary? HostRoundTripMicroseconds = null);

/// <summary>What a process run (<c>--processes</c>, one process per GPU under ep-run) adds to the report.</summary>
/// <param name="Ranks">Processes (one GPU each).</param>
/// <param name="Join">How the ranks joined: the launch description and the engine <c>EpGroup.FromEnvironment</c> picked.</param>
/// <param name="AllToAll">The plain NCCL all-to-all baseline, or null when it did not run.</param>
/// <param name="AllToAllProblem">Why the baseline has no figures, or null.</param>
internal sealed record ProcessRun(int Ranks, string Join, AllToAllResult? AllToAll, string? AllToAllProblem);

/// <summary>The plain NCCL all-to-all baseline of a process run.</summary>
/// <param name="BytesPerRank">Bytes each rank receives (ep_bench's HT formula), by rank.</param>
/// <param name="Microseconds">Device time per exchange, every rank's samples pooled.</param>
/// <param name="RankMicroseconds">Each rank's median time, min / median / max over ranks.</param>
/// <param name="RankGigabytesPerSecond">Each rank's bytes over its median time, min / median / max over ranks.</param>
internal sealed record AllToAllResult(IReadOnlyList<long> BytesPerRank, SampleSummary Microseconds, Processes.RankSpread RankMicroseconds,
    Processes.RankSpread RankGigabytesPerSecond);
