using System;
using System.Collections.Generic;
using Ep.Bench.Engines;
using Ep.Bench.Layers;

namespace Ep.Bench.Options;

/// <summary>What one benchmark run does; made by <see cref="BenchCommandLine.Parse"/>, already validated.</summary>
internal sealed record BenchOptions
{
    /// <summary>ep_bench's warm-up default.</summary>
    public const int DefaultWarmup = 10;

    /// <summary>ep_bench's iteration default.</summary>
    public const int DefaultIterations = 50;

    /// <summary>How long ep_bench may run before it is stopped.</summary>
    public static readonly TimeSpan DefaultEpBenchTimeout = TimeSpan.FromSeconds(300);

    /// <summary>The configuration.</summary>
    public required BenchLayer Layer { get; init; }

    /// <summary>Engines to time, in order.</summary>
    public required IReadOnlyList<BenchEngine> Engines { get; init; }

    /// <summary>True when the engines were named explicitly: one that cannot run is then an error, not a skip.</summary>
    public bool EnginesRequested { get; init; }

    /// <summary>Simulated ranks for the Staged and Reference engines (NCCL EP in one process always has one).</summary>
    public int Ranks { get; init; } = 1;

    /// <summary>Tokens per rank per Dispatch (at most the layer's MaxTokensPerRank).</summary>
    public required int Tokens { get; init; }

    /// <summary>Steps run and discarded before timing.</summary>
    public int Warmup { get; init; } = DefaultWarmup;

    /// <summary>Timed steps (each pass: device and host).</summary>
    public int Iterations { get; init; } = DefaultIterations;

    /// <summary>Where to write the JSON report, or null.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Whether to time captured CUDA-graph replays where an engine allows it (the reasons are reported where it does not).</summary>
    public bool CudaGraph { get; init; }

    /// <summary>
    /// Whether every step's Dispatch gets routing other than the previous step's (<c>--new-routing</c>): odd steps take
    /// the ep_bench routing with its rows moved up by one token (the same counts, so the same bytes). Off: one routing
    /// for every step, as ep_bench, where the NcclEp engine keeps its HighThroughput handle from step to step.
    /// </summary>
    public bool NewRoutingEachStep { get; init; }

    /// <summary>
    /// Whether each step starts with PrepareDispatch (<c>--prepared</c>), untimed and finished before the timed
    /// Dispatch(tokens, routing): the routing checks overlapped with earlier work, as ep_bench sets its handle before
    /// its timed loop.
    /// </summary>
    public bool PreparedRouting { get; init; }

    /// <summary>Whether to time each generated kernel alone (<c>--kernels</c>) instead of the engines' operations.</summary>
    public bool Kernels { get; init; }

    /// <summary>Whether to time NVRTC's first compile and the cached load of every declared layer (<c>--nvrtc</c>) instead.</summary>
    public bool Nvrtc { get; init; }

    /// <summary>Whether to time the route plan's host work alone on the CPU (<c>--route-plan</c>) instead.</summary>
    public bool RoutePlan { get; init; }

    /// <summary>Whether to run NCCL EP's ep_bench when EP_NCCL_EP_BENCH names it.</summary>
    public bool RunEpBench { get; init; } = true;

    /// <summary>
    /// One process per GPU (<c>--processes</c>, or started by a launcher: ep-run, mpirun, Slurm): each rank joins with
    /// <c>EpGroup.FromEnvironment</c>, rank 0 gathers and reports. Otherwise ranks are simulated in this process.
    /// </summary>
    public bool Processes { get; init; }

    /// <summary>Limit for the ep_bench run.</summary>
    public TimeSpan EpBenchTimeout { get; init; } = DefaultEpBenchTimeout;
}
