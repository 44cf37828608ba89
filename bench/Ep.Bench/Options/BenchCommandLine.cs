using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Bench.Engines;
using Ep.Bench.Layers;
using Ep.Bootstrap;

namespace Ep.Bench.Options;

/// <summary>Parses and validates the Ep.Bench command line (a small parser: a dozen flags need no package).</summary>
internal static class BenchCommandLine
{
    /// <summary>The text printed by <c>--help</c> and after a usage error.</summary>
    public static string Usage =>
        $"""
        Usage: Ep.Bench [--layer NAME] [--hidden N] [--topk N] [--experts N] [--max-tokens N] [--layout flat|em]
                        [--algorithm ht|ll] [--zero-copy] [--weighted] [--engine LIST] [--ranks N] [--tokens N]
                        [--warmup N] [--iters N] [--new-routing] [--prepared] [--json PATH] [--kernels] [--nvrtc] [--route-plan]
                        [--cuda-graph] [--processes] [--no-ep-bench] [--ep-bench-timeout S] [--list-layers] [--help]

          --layer NAME          configuration to run (default {BenchLayers.DefaultName}); one of {BenchLayers.Names}
          --hidden, --topk, --experts, --max-tokens N, --layout flat|em, --algorithm ht|ll, --zero-copy, --weighted
                                change the --layer configuration (HiddenSize, TopK, Experts, MaxTokensPerRank, Layout,
                                Algorithm, ZeroCopy, ApplyWeightsInCombine); its CUDA source is written for the result,
                                which must pass the layer rules (the compile-time diagnostics)
          --engine LIST         comma-separated: staged, nccl-ep, reference, or all (default: all = staged and nccl-ep,
                                each where it can run; the others are listed as skipped with the reason)
          --ranks N             simulated ranks on GPU 0 for the staged engine (default 1; the experts must divide
                                evenly); nccl-ep always runs one rank in this process
          --tokens N            tokens per rank (default and maximum: the layer's MaxTokensPerRank)
          --warmup N            untimed steps first (default {BenchOptions.DefaultWarmup}, as ep_bench)
          --iters N             timed steps per pass (default {BenchOptions.DefaultIterations}, as ep_bench)
          --new-routing         routing that changes every step (odd steps: the ep_bench routing with its rows moved
                                up by one token: the same bytes), as in training; default: one routing for every
                                step, as ep_bench (the nccl-ep engine then keeps its HT handle from step to step)
          --prepared            start each step with PrepareDispatch, untimed and finished before the timed
                                Dispatch(tokens, routing), as ep_bench sets its handle before its timed loop
          --json PATH           also write the full report as JSON
          --kernels             time each generated kernel alone (one rank, ep_bench routing) against the
                                same-run copy bandwidth, with registers, shared memory and occupancy
          --nvrtc               per declared layer: NVRTC's first compile (fresh cache) and the cached load of its
                                kernels on GPU 0
          --route-plan          time the host work every GPU Dispatch does with the gathered routing records (read,
                                checks, counts, offsets) alone on the CPU, at the layer's sizes and --ranks; no GPU
          --cuda-graph          time captured CUDA-graph replays where the engine allows it; prints why it does not
          --processes           one process per GPU, started by a launcher (ep-run -n N -- dotnet Ep.Bench.dll ...):
                                each rank joins with EpGroup.FromEnvironment, every engine is forced in turn on
                                that communicator, a plain NCCL all-to-all is timed beside it, rank 0 gathers
                                every rank's samples and alone prints the table and writes the JSON; chosen
                                automatically when a launcher's rank variable (EP_RANK, OMPI_COMM_WORLD_RANK,
                                SLURM_PROCID) is set
          --no-ep-bench         do not run NCCL EP's ep_bench even when EP_NCCL_EP_BENCH names it
          --ep-bench-timeout S  stop ep_bench after S seconds (default {BenchOptions.DefaultEpBenchTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)})
          --list-layers         print the configurations and exit

        Environment: EP_NCCL_EP_LIBRARY / EP_NCCL_LIBRARY (the nccl-ep engine), EP_NCCL_EP_BENCH (path of NCCL EP's
        ep_bench, run with mpirun -np N for the same configuration), EP_KERNEL_CACHE_DIR. See bench/README.md.
        """;

    /// <summary>The options, or null when help or the layer list was asked for (<paramref name="listLayers"/> says which).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="listLayers">Set when <c>--list-layers</c> was asked for.</param>
    /// <param name="environment">Variable lookup for the launcher check (process mode is automatic under a launcher); null:
    /// this process's environment.</param>
    /// <exception cref="BenchUsageException">The command line is wrong; the message says how.</exception>
    public static BenchOptions? Parse(IReadOnlyList<string> args, out bool listLayers, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool processes = EpLaunchEnvironment.IsLaunched(environment ?? Environment.GetEnvironmentVariable);
        bool ranksGiven = false;
        listLayers = false;
        string layerName = BenchLayers.DefaultName;
        string? engines = null;
        int ranks = 1;
        int? tokens = null;
        int warmup = BenchOptions.DefaultWarmup;
        int iterations = BenchOptions.DefaultIterations;
        string? json = null;
        bool cudaGraph = false, runEpBench = true, kernels = false, nvrtc = false, newRouting = false, prepared = false, routePlan = false;
        TimeSpan epBenchTimeout = BenchOptions.DefaultEpBenchTimeout;
        var overrides = new LayerOverrides();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return null;
                case "--list-layers":
                    listLayers = true;
                    return null;
                case "--layer":
                    layerName = Value(args, ref i);
                    break;
                case "--hidden":
                    overrides = overrides with { HiddenSize = Integer(arg, Value(args, ref i), 1, int.MaxValue) };
                    break;
                case "--topk" or "--top-k":
                    overrides = overrides with { TopK = Integer(arg, Value(args, ref i), 1, int.MaxValue) };
                    break;
                case "--experts":
                    overrides = overrides with { Experts = Integer(arg, Value(args, ref i), 1, int.MaxValue) };
                    break;
                case "--max-tokens":
                    overrides = overrides with { MaxTokensPerRank = Integer(arg, Value(args, ref i), 1, int.MaxValue) };
                    break;
                case "--layout":
                    overrides = overrides with { Layout = Choice(arg, Value(args, ref i), ("flat", EpLayout.Flat), ("em", EpLayout.ExpertMajor)) };
                    break;
                case "--algorithm":
                    overrides = overrides with
                    {
                        Algorithm = Choice(arg, Value(args, ref i), ("ht", EpAlgorithm.HighThroughput), ("ll", EpAlgorithm.LowLatency)),
                    };
                    break;
                case "--zero-copy":
                    overrides = overrides with { ZeroCopy = true };
                    break;
                case "--weighted":
                    overrides = overrides with { ApplyWeightsInCombine = true };
                    break;
                case "--engine" or "--engines":
                    engines = Value(args, ref i);
                    break;
                case "--ranks":
                    ranks = Integer(arg, Value(args, ref i), 1, EpWorld.MaxSimulatedRanks);
                    ranksGiven = true;
                    break;
                case "--processes":
                    processes = true;
                    break;
                case "--tokens":
                    tokens = Integer(arg, Value(args, ref i), 1, int.MaxValue);
                    break;
                case "--warmup":
                    warmup = Integer(arg, Value(args, ref i), 0, 100_000);
                    break;
                case "--iters" or "--iterations":
                    iterations = Integer(arg, Value(args, ref i), 1, 1_000_000);
                    break;
                case "--new-routing":
                    newRouting = true;
                    break;
                case "--prepared":
                    prepared = true;
                    break;
                case "--json":
                    json = Value(args, ref i);
                    break;
                case "--kernels":
                    kernels = true;
                    break;
                case "--nvrtc":
                    nvrtc = true;
                    break;
                case "--route-plan":
                    routePlan = true;
                    break;
                case "--cuda-graph":
                    cudaGraph = true;
                    break;
                case "--no-ep-bench":
                    runEpBench = false;
                    break;
                case "--ep-bench-timeout":
                    epBenchTimeout = TimeSpan.FromSeconds(Integer(arg, Value(args, ref i), 1, 86_400));
                    break;
                default:
                    throw new BenchUsageException($"unknown option '{arg}'.");
            }
        }

        BenchLayer declared = BenchLayers.Find(layerName)
            ?? throw new BenchUsageException($"--layer '{layerName}' is not a configuration; use one of {BenchLayers.Names} (--list-layers describes them).");
        BenchLayer layer = overrides.Apply(declared);
        (IReadOnlyList<BenchEngine> engineList, bool requested) = ParseEngines(engines);
        Validate(layer, engineList, ranks, tokens);
        if (kernels && ranks != 1)
        {
            throw new BenchUsageException("--kernels times the kernels of one rank (the exchange between ranks is not a kernel); drop --ranks or use --ranks 1.");
        }

        if (nvrtc && (kernels || processes || ranksGiven))
        {
            throw new BenchUsageException("--nvrtc compiles and loads every layer's kernels in one process on GPU 0; run it alone (no --kernels, --ranks or --processes, and outside a launcher).");
        }

        if (processes)
        {
            ValidateProcesses(engineList, ranksGiven, kernels);
        }

        return new BenchOptions
        {
            Processes = processes,
            Layer = layer,
            Engines = engineList,
            EnginesRequested = requested,
            Ranks = ranks,
            Tokens = tokens ?? layer.Spec.MaxTokensPerRank,
            Warmup = warmup,
            Iterations = iterations,
            JsonPath = json,
            CudaGraph = cudaGraph,
            NewRoutingEachStep = newRouting,
            PreparedRouting = prepared,
            Kernels = kernels,
            Nvrtc = nvrtc,
            RoutePlan = routePlan,
            RunEpBench = runEpBench,
            EpBenchTimeout = epBenchTimeout,
        };
    }

    /// <summary>The value named <paramref name="text"/> among <paramref name="choices"/> (case-insensitive).</summary>
    private static T Choice<T>(string option, string text, params (string Name, T Value)[] choices)
    {
        foreach ((string name, T value) in choices)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw new BenchUsageException($"{option} '{text}' is not one of {string.Join(", ", choices.Select(c => c.Name))}.");
    }

    private static (IReadOnlyList<BenchEngine> Engines, bool Requested) ParseEngines(string? text)
    {
        if (text is null || text.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return ([BenchEngine.Staged, BenchEngine.NcclEp], false);
        }

        var engines = new List<BenchEngine>();
        foreach (string name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BenchEngine engine = name.ToLowerInvariant() switch
            {
                "staged" => BenchEngine.Staged,
                "nccl-ep" or "ncclep" => BenchEngine.NcclEp,
                "reference" => BenchEngine.Reference,
                _ => throw new BenchUsageException($"--engine '{name}' is not an engine; use staged, nccl-ep, reference or all (comma-separated)."),
            };
            if (!engines.Contains(engine))
            {
                engines.Add(engine);
            }
        }

        if (engines.Count == 0)
        {
            throw new BenchUsageException("--engine needs at least one engine: staged, nccl-ep, reference or all.");
        }

        return (engines, true);
    }

    private static void Validate(BenchLayer layer, IReadOnlyList<BenchEngine> engines, int ranks, int? tokens)
    {
        EpLayerSpec spec = layer.Spec;
        if (tokens > spec.MaxTokensPerRank)
        {
            throw new BenchUsageException(string.Create(CultureInfo.InvariantCulture,
                $"--tokens {tokens} is above the layer's MaxTokensPerRank ({spec.MaxTokensPerRank}) of --layer {layer.Name}; use at most {spec.MaxTokensPerRank}."));
        }

        if (spec.Experts % ranks != 0)
        {
            throw new BenchUsageException(string.Create(CultureInfo.InvariantCulture,
                $"--ranks {ranks} does not divide the {spec.Experts} experts of --layer {layer.Name}; every rank holds Experts / ranks experts."));
        }

        if (engines.Contains(BenchEngine.Reference) && !layer.SmallEnoughForReference)
        {
            throw new BenchUsageException(
                $"--engine reference runs on the CPU and is far too slow for --layer {layer.Name}; use --layer small-ht or small-ll with it.");
        }
    }

    private static void ValidateProcesses(IReadOnlyList<BenchEngine> engines, bool ranksGiven, bool kernels)
    {
        if (ranksGiven)
        {
            throw new BenchUsageException("--ranks simulates ranks in one process; with --processes (or under a launcher) the launcher's process count is the rank count: ep-run -n N -- dotnet Ep.Bench.dll --processes ...");
        }

        if (kernels)
        {
            throw new BenchUsageException("--kernels times one rank's kernels in one process; run it without --processes and outside a launcher.");
        }

        if (engines.Contains(BenchEngine.Reference))
        {
            throw new BenchUsageException("--engine reference runs on the CPU in one process; with --processes use staged and/or nccl-ep.");
        }
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new BenchUsageException($"'{args[i]}' needs a value.");
        }

        return args[++i];
    }

    private static int Integer(string option, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new BenchUsageException(string.Create(CultureInfo.InvariantCulture, $"{option} expects a whole number in [{min}, {max}]; got '{text}'."));
        }

        return value;
    }
}
