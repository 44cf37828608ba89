using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Ep.Bench.Baselines;
using Ep.Bench.Engines;
using Ep.Bench.Graphs;
using Ep.Bench.Memory;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Bench.Report;
using Ep.Bench.Routing;
using Ep.Bench.Timing;
using Ep.Bootstrap;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;

namespace Ep.Bench.Processes;

/// <summary>
/// A process run: this process is one rank of a launch (ep-run, mpirun, Slurm), one GPU each. Every rank joins with
/// <see cref="EpGroup.FromEnvironment()"/>, times the plain NCCL all-to-all, then each engine forced in turn on the same
/// communicator (the loop and events of the one-process path), and sends its samples to rank 0 with an all-gather. Every
/// rank then releases its layers, buffers and the communicator; rank 0 waits until the other ranks' processes have exited,
/// runs ep_bench on as many ranks (it needs the GPUs), and alone prints the table and writes the JSON.
/// </summary>
/// <remarks>
/// Every rank makes the same decisions in the same order (a skip is agreed with an all-gather), so no rank waits in a
/// collective another never enters; an engine that throws on every rank is reported as failed and the run goes on, one
/// that throws on some ranks only can leave the others waiting inside NCCL — the launcher's timeout ends that.
/// Ranks other than 0 exit 0 after the last collective even when an engine failed: rank 0 reports it, and a non-zero exit
/// would make ep-run stop rank 0 before it prints.
/// </remarks>
internal static class ProcessBench
{
    /// <summary>Runs this rank; returns the process's exit code (rank 0: as the one-process path's).</summary>
    public static int Run(BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EpLaunchEnvironment launch = EpLaunchEnvironment.FromProcess();
        EpLayerSpec spec = options.Layer.Spec;
        void Log(string line) => Console.Error.WriteLine("Ep.Bench: " + line);

        // Checked before joining, identically on every rank: all exit, none waits for another.
        if (spec.Experts % launch.WorldSize != 0)
        {
            Log(string.Create(CultureInfo.InvariantCulture,
                $"{launch.WorldSize} processes do not divide the {spec.Experts} experts of --layer {options.Layer.Name}; every rank holds Experts / ranks experts."));
            return 2;
        }

        string started = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        Log(launch.Describe() + "; joining with EpGroup.FromEnvironment");
        var world = ProcessWorld.Join();
        int rank = world.Rank, ranks = world.Ranks;
        CudaDevice cuda = CudaDevice.Current(world.Device.Ordinal);
        string device = string.Create(CultureInfo.InvariantCulture, $"{cuda.Name} ({cuda.Architecture}, {cuda.MultiprocessorCount} SMs), one per rank, {ranks} rank(s)");
        Log(string.Create(CultureInfo.InvariantCulture, $"rank {rank} of {ranks} on GPU {world.Device.Ordinal} ({cuda.Name}); join group: {world.JoinEngine}"));

        long[][] routing = BenchProblem.RoutingOf(spec, ranks, options.Tokens);
        long[] bytes = Enumerable.Range(0, ranks).Select(r => Metrics.ByteFormulas.BytesPerRank(spec, routing, r)).ToArray();
        RankInputs mine = BenchProblem.InputsOf(spec, rank, options.Tokens, routing[rank]);

        AllToAllPlan plan = AllToAllPlan.FromRouting(routing, spec.TopK, spec.Experts, spec.HiddenSize, rank);
        Log(string.Create(CultureInfo.InvariantCulture,
            $"all-to-all baseline: sends {plan.SendBytes / 1e6:F2} MB, receives {plan.ReceiveBytes / 1e6:F2} MB; {options.Warmup} warm-up + {options.Iterations} exchanges"));
        List<double> exchange = AllToAllBaseline.Measure(world.Communicator, plan, options.Warmup, options.Iterations);
        double[][] exchanges = world.AllGather(exchange.ToArray());
        long[] received = Enumerable.Range(0, ranks)
            .Select(r => AllToAllPlan.FromRouting(routing, spec.TopK, spec.Experts, spec.HiddenSize, r).ReceiveBytes).ToArray();
        AllToAllResult allToAll = ProcessAggregation.AllToAll(exchanges, received);
        double[] allToAllMedians = exchanges.Select(s => Metrics.SampleSummary.Of(s).Median).ToArray();

        var engines = new List<EngineResult>();
        foreach (BenchEngine engine in options.Engines)
        {
            Log(engine.Name() + ": starting");
            EngineResult result = RunEngine(engine, options, world, mine, bytes, allToAllMedians, Log);
            Log(engine.Name() + ": " + result.Status + (result.Status == "ok" ? string.Empty : " — " + result.Detail));
            engines.Add(result);
        }

        // Every rank has released its layers and buffers; the pids tell rank 0 whose exit to wait for before ep_bench.
        double[] pids = world.Barrier(Environment.ProcessId);
        string join = launch.Describe() + "; join group: " + world.JoinEngine;
        world.Dispose();
        if (rank != 0)
        {
            Log("released the GPU; rank 0 reports");
            return 0;
        }

        var configuration = LayerConfiguration.Of(options);
        BenchReport Report(EpBenchResult? epBench, IReadOnlyList<EngineResult> rows) => new("Ep.Bench", started, device, configuration, null,
            "not run in a process run (one GPU per rank: the plain NCCL all-to-all below is the baseline)", epBench, rows,
            new ProcessRun(ranks, join, allToAll, null));

        EpBenchResult? epBench = null;
        if (options.RunEpBench && Environment.GetEnvironmentVariable(EpBenchRunner.Variable) is { Length: > 0 } binary)
        {
            // Ours first, so that a launcher timeout during ep_bench does not lose them; rewritten with ep_bench's figures.
            if (options.JsonPath is { } early)
            {
                JsonReportWriter.Write(Report(new EpBenchResult(null, null, "not finished (the run stopped while ep_bench ran)", ranks), engines), early);
            }

            WaitForExit(pids.Skip(1).Select(p => (int)p), TimeSpan.FromSeconds(60), Log);
            Log(string.Create(CultureInfo.InvariantCulture, $"ep_bench: running {binary} on {ranks} rank(s)"));
        }

        if (options.RunEpBench)
        {
            epBench = EpBenchRunner.Run(spec, options.Tokens, options.Warmup, options.Iterations, options.EpBenchTimeout, ranks);
            if (epBench.Figures is { } figures)
            {
                engines = engines.Select(e => e.Status == "ok" ? ProcessAggregation.WithEpBench(e, figures) : e).ToList();
            }
        }

        BenchReport report = Report(epBench, engines);
        Console.WriteLine(TableWriter.Write(report));
        if (options.JsonPath is { } path)
        {
            JsonReportWriter.Write(report, path);
            Log("wrote " + path);
        }

        bool failed = engines.Any(e => e.Status == "failed");
        bool requestedButSkipped = options.EnginesRequested && engines.Any(e => e.Status == "skipped");
        return failed || requestedButSkipped ? 1 : 0;
    }

    private static EngineResult RunEngine(BenchEngine engine, BenchOptions options, ProcessWorld world, RankInputs mine, long[] bytes,
        double[] allToAllMedians, Action<string> log)
    {
        EpLayerSpec spec = options.Layer.Spec;
        int ranks = world.Ranks;
        CudaGraphDecision? graph = options.CudaGraph ? CudaGraphSupport.Decide(engine, spec, ranks) : null;
        EngineResult Skipped(string why) => new(engine.Name(), "skipped", why, ranks, [], graph);

        // Agreed by every rank: a skip on one rank is a skip on all.
        string? problem = engine == BenchEngine.Reference ? "the CPU Reference engine runs in one process only" : EngineAvailability.Problem(engine);
        double[] unavailable = world.Barrier(problem is null ? 0 : 1);
        if (problem is not null || unavailable.Any(u => u != 0))
        {
            return Skipped(problem ?? "cannot run on rank(s) " + string.Join(", ", Enumerable.Range(0, ranks).Where(r => unavailable[r] != 0)) + " (see their log lines)");
        }

        IReadOnlyList<EpRuleViolation> violations = EpLayerRules.Check(spec, ranks);
        if (EpLayerRules.HasErrors(violations))
        {
            string rules = string.Join("; ", violations.Where(v => v.Rule.Severity == EpRuleSeverity.Error).Select(v => v.ToString()));
            return Skipped(string.Create(CultureInfo.InvariantCulture, $"the layer does not hold at {ranks} rank(s): {rules} (launch at least {options.Layer.MinimumRanks} processes)"));
        }

        log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name()}: {options.Warmup} warm-up + {options.Iterations} timed steps, device pass then host pass"));
        int length = RankSamplesCodec.Length(options.Iterations);
        var vector = new double[2 + length];
        Array.Fill(vector, double.NaN);
        string? failure = null, reason = null;
        try
        {
            (RankSamples samples, long used, reason) = Measure(engine, options, world, mine);
            vector[0] = 1;
            vector[1] = used;
            RankSamplesCodec.Encode(samples, options.Iterations).CopyTo(vector, 2);
        }
#pragma warning disable CA1031 // One engine's failure is reported in its row; the other engines still run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e.GetType().Name + ": " + e.Message;
            vector[0] = 0;
            log(engine.Name() + ": failed on this rank — " + failure);
        }

        double[][] all = world.AllGather(vector);
        if (world.Rank != 0)
        {
            return new EngineResult(engine.Name(), failure is null ? "ok" : "failed", failure ?? reason, ranks, [], graph);
        }

        int[] failedRanks = Enumerable.Range(0, ranks).Where(r => all[r][0] != 1).ToArray();
        if (failedRanks.Length > 0)
        {
            return new EngineResult(engine.Name(), "failed",
                failure ?? "failed on rank(s) " + string.Join(", ", failedRanks) + " (their log lines say why)", ranks, [], graph);
        }

        RankSamples[] samplesByRank = all.Select(v => RankSamplesCodec.Decode(v.AsSpan(2), options.Iterations)).ToArray();
        List<OperationResult> rows = ProcessAggregation.Rows(samplesByRank, bytes, spec.Algorithm, allToAllMedians);
        long measured = (long)(RankSpread.Of(all.Select(v => (double?)v[1]))?.Median ?? 0);
        EngineMemory memory = EngineMemory.For(engine, spec, ranks, measured);
        DispatchSplit? split = DispatchSplit.Of(samplesByRank.SelectMany(s => s.DispatchPhases));
        DispatchSplit? deviceSplit = DispatchSplit.OfDevice(samplesByRank.SelectMany(s => s.DeviceDispatchParts).ToArray());
        return new EngineResult(engine.Name(), "ok", reason, ranks, rows, graph, memory, Floor: null, split, OwnHostTime.Of(samplesByRank, split),
            deviceSplit, PrepareDispatchCost.Of(samplesByRank));
    }

    private static (RankSamples Samples, long UsedBytes, string Reason) Measure(BenchEngine engine, BenchOptions options, ProcessWorld world, RankInputs mine)
    {
        // The engine is forced on the join group's communicator (borrowed), as OneRankNcclEpGroup does at one rank: a layer
        // NCCL EP cannot take is refused with its reasons, never run on Staged under the nccl-ep name.
        IEpEngine forced = engine == BenchEngine.NcclEp
            ? new NcclEpEngine(world.Communicator, world.Rank, world.Ranks, world.Device, stagedForUnfitLayers: false)
            : StagedEngine.ForCommunicator(world.Communicator, world.Rank, world.Ranks, world.Device, ownsCommunicator: false);
        using var group = new EpGroup(world.Rank, world.Ranks, world.Device, forced, world.Communicator, ownedCommunicator: null);
        long before = DeviceMemoryProbe.UsedBytes();
        using var layer = new EpLayerRuntime(group, options.Layer.Spec, options.Layer.KernelSource, options.Layer.Name);
        long after = DeviceMemoryProbe.UsedBytes();
        using var step = new BenchStep(layer, mine, options.Tokens, options.NewRoutingEachStep, options.PreparedRouting);
        return (RankTimer.Run(layer, step, options.Warmup, options.Iterations), after - before, group.EngineReason);
    }

    /// <summary>Waits until none of <paramref name="pids"/> is running (the other ranks have freed their GPUs), at most <paramref name="limit"/>.</summary>
    private static void WaitForExit(IEnumerable<int> pids, TimeSpan limit, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        foreach (int pid in pids.Where(p => p != Environment.ProcessId))
        {
            while (IsRunning(pid))
            {
                if (clock.Elapsed > limit)
                {
                    log(string.Create(CultureInfo.InvariantCulture, $"ep_bench: process {pid} (another rank) still runs after {limit.TotalSeconds:F0} s; starting anyway"));
                    return;
                }

                System.Threading.Thread.Sleep(50);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
