using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Bench.Baselines;
using Ep.Bench.Graphs;
using Ep.Bench.Memory;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Bench.Report;
using Ep.Bench.Routing;
using Ep.Bench.Timing;

namespace Ep.Bench.Engines;

/// <summary>Runs one engine over the configuration and turns every rank's samples into table rows.</summary>
internal static class EngineRunner
{
    /// <summary>
    /// Times <paramref name="engine"/>; never throws for the engine's own failures (they become a failed row). With
    /// <paramref name="copy"/> (the same run's copy baseline) the step is also set against its floor.
    /// </summary>
    public static EngineResult Run(BenchEngine engine, BenchOptions options, EpBenchFigures? epBench, Action<string> log, CopyBaseline? copy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        EpLayerSpec spec = options.Layer.Spec;
        int ranks = engine == BenchEngine.NcclEp ? 1 : options.Ranks;
        CudaGraphDecision? graph = options.CudaGraph ? CudaGraphSupport.Decide(engine, spec, ranks) : null;
        EngineResult Skipped(string why) => new(engine.Name(), "skipped", why, ranks, [], graph);

        if (EngineAvailability.Problem(engine) is { } unavailable)
        {
            return Skipped(unavailable);
        }

        IReadOnlyList<EpRuleViolation> violations = EpLayerRules.Check(spec, ranks);
        if (EpLayerRules.HasErrors(violations))
        {
            string rules = string.Join("; ", violations.Where(v => v.Rule.Severity == EpRuleSeverity.Error).Select(v => v.ToString()));
            string hint = engine == BenchEngine.NcclEp
                ? " (nccl-ep runs one rank in this process)"
                : string.Create(CultureInfo.InvariantCulture, $" (try --ranks {options.Layer.MinimumRanks})");
            return Skipped(string.Create(CultureInfo.InvariantCulture, $"the layer does not hold at {ranks} rank(s): {rules}{hint}"));
        }

        try
        {
            log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name()}: generating ep_bench routing for {ranks} rank(s) × {options.Tokens} tokens"));
            BenchProblem problem = BenchProblem.Create(spec, ranks, options.Tokens);
            log(string.Create(CultureInfo.InvariantCulture, $"{engine.Name()}: {options.Warmup} warm-up + {options.Iterations} timed steps, device pass then host pass"));
            (RankSamples[] samples, string reason, long? usedBytes) = Measure(engine, options, problem, ranks, graph?.Capturable == true);
            long[] bytes = Enumerable.Range(0, ranks).Select(r => ByteFormulas.BytesPerRank(spec, problem.Routing, r)).ToArray();
            List<OperationResult> rows = Rows(samples, bytes, spec.Algorithm, ranks == 1 ? epBench : null);
            Memory.EngineMemory? memory = usedBytes is { } used
                ? Memory.EngineMemory.For(engine, spec, ranks, used / ranks)
                : null;
            StepFloor? floor = null;
            if (copy is not null && engine != BenchEngine.Reference)
            {
                bool backward = spec.Algorithm != EpAlgorithm.LowLatency;
                long floorBytes = StepFloors.Bytes(bytes.Select(b => b / ByteFormulas.RowBytes(spec.HiddenSize)), spec.HiddenSize, backward);
                string span = backward ? BenchOperation.Step.Label() : BenchOperation.Forward.Label();
                floor = StepFloors.Of(floorBytes, copy.GigabytesPerSecond, rows.FirstOrDefault(r => r.Operation == span)?.DeviceMicroseconds?.Median);
            }

            DispatchSplit? split = DispatchSplit.Of(samples.SelectMany(s => s.DispatchPhases));
            DispatchSplit? deviceSplit = DispatchSplit.OfDevice(samples.SelectMany(s => s.DeviceDispatchParts).ToArray());
            return new EngineResult(engine.Name(), "ok", reason, ranks, rows, GraphReplay.With(graph, samples, spec.Algorithm, ranks == 1 ? epBench : null), memory, floor, split, OwnHostTime.Of(samples, split),
                deviceSplit, PrepareDispatchCost.Of(samples));
        }
#pragma warning disable CA1031 // One engine's failure is reported in its row; the other engines still run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new EngineResult(engine.Name(), "failed", e.GetType().Name + ": " + e.Message, ranks, [], graph);
        }
    }

    /// <summary>Every rank's samples (the eager passes, then with <paramref name="captureGraph"/> the captured step's replays), the engine's reason, and the layers' device memory.</summary>
    private static (RankSamples[] Samples, string Reason, long? UsedBytes) Measure(BenchEngine engine, BenchOptions options, BenchProblem problem, int ranks,
        bool captureGraph)
    {
        // Device memory of the layers alone: every rank meets before and after creating its layer, and rank 0 reads the
        // GPU's used memory while the others wait (ranks share the one GPU, so one reading covers all of them).
        bool gpu = engine != BenchEngine.Reference;
        using var meet = new System.Threading.Barrier(ranks);
        long before = 0, after = 0;
        void Probe(EpGroup group, ref long into)
        {
            if (!gpu)
            {
                return;
            }

            meet.SignalAndWait();
            if (group.Rank == 0)
            {
                into = DeviceMemoryProbe.UsedBytes();
            }

            meet.SignalAndWait();
        }

        (RankSamples, string) Body(EpGroup group)
        {
            Probe(group, ref before);
            using var layer = new EpLayerRuntime(group, options.Layer.Spec, options.Layer.KernelSource, options.Layer.Name);
            Probe(group, ref after);
            using var step = new BenchStep(layer, problem.Ranks[group.Rank], options.Tokens, options.NewRoutingEachStep, options.PreparedRouting);
            RankSamples samples = RankTimer.Run(layer, step, options.Warmup, options.Iterations);
            if (captureGraph)
            {
                GraphTimer.Run(layer, step, options.Warmup, options.Iterations, samples);
            }

            return (samples, group.EngineReason);
        }

        (RankSamples, string)[] results;
        if (engine == BenchEngine.NcclEp)
        {
            using var world = new OneRankNcclEpGroup();
            results = [Body(world.Group)];
        }
        else
        {
            results = EpWorld.RunSimulated(ranks, engine == BenchEngine.Reference ? EpDevice.Cpu : EpDevice.Gpu(0), Body);
        }

        return (results.Select(r => r.Item1).ToArray(), results[0].Item2, gpu ? after - before : null);
    }

    /// <summary>The table rows of every rank's samples, pooled; <paramref name="bytes"/> by rank; ep_bench's figures when given.</summary>
    internal static List<OperationResult> Rows(RankSamples[] samples, long[] bytes, EpAlgorithm algorithm, EpBenchFigures? epBench)
    {
        double bytesPerRank = bytes.Average(), allBytes = bytes.Sum();
        var rows = new List<OperationResult>();
        IEnumerable<BenchOperation> operations = BenchOperations.For(algorithm).Append(BenchOperation.Forward);
        if (algorithm != EpAlgorithm.LowLatency)
        {
            operations = operations.Append(BenchOperation.Step);
        }

        foreach (BenchOperation operation in operations)
        {
            SampleSummary? device = Pool(samples, s => s.Device, operation);
            SampleSummary? host = Pool(samples, s => s.Host, operation);
            double? median = (device ?? host)?.Median;
            bool moves = operation.MovesTokens();
            double? gbps = moves ? ByteFormulas.GigabytesPerSecond(bytesPerRank, median) : null;
            double? theirs = operation switch
            {
                BenchOperation.Dispatch => epBench?.Dispatch.GigabytesPerSecond,
                BenchOperation.Combine => epBench?.Combine.GigabytesPerSecond,
                _ => null,
            };
            rows.Add(new OperationResult(operation.Label(), device, host, moves ? bytesPerRank : null, gbps,
                moves ? ByteFormulas.GigabytesPerSecond(allBytes, median) : null, theirs, gbps / theirs, Pool(samples, s => s.Allocated, operation)));
        }

        return rows;
    }

    private static SampleSummary? Pool(RankSamples[] samples, Func<RankSamples, Dictionary<BenchOperation, List<double>>> pick, BenchOperation operation)
    {
        List<double> pooled = samples.SelectMany(s => pick(s).TryGetValue(operation, out List<double>? list) ? list : []).ToList();
        return pooled.Count > 0 ? SampleSummary.Of(pooled) : null;
    }
}
