using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Ep.Bench.Baselines;
using Ep.Bench.Compile;
using Ep.Bench.Engines;
using Ep.Bench.Kernels;
using Ep.Bench.Layers;
using Ep.Bench.Metrics;
using Ep.Bench.Options;
using Ep.Bench.Processes;
using Ep.Bench.Report;
using Ep.Bench.Routing;
using Ep.Interop.Cuda;

namespace Ep.Bench;

/// <summary>
/// Entry point: parse, run the baselines (copy bandwidth, ep_bench), time each engine, print the table, write the JSON.
/// With --kernels, times each generated kernel alone instead (exit 1 when that run failed); with --nvrtc, each layer's
/// NVRTC compile and cached load; with --route-plan, the route plan's host work on the CPU. With --processes (or under a
/// launcher) this process is one rank of a multi-GPU run (<see cref="ProcessBench"/>); only rank 0 reports.
/// Exit codes: 0 every engine ran or was skipped for a reason; 1 an engine failed, or an engine named with --engine could
/// not run; 2 the command line is wrong.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        BenchOptions? options;
        try
        {
            options = BenchCommandLine.Parse(args, out bool listLayers);
            if (options is null)
            {
                Console.WriteLine(listLayers ? LayerList() : BenchCommandLine.Usage);
                return 0;
            }
        }
        catch (BenchUsageException e)
        {
            Console.Error.WriteLine("Ep.Bench: " + e.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(BenchCommandLine.Usage);
            return 2;
        }

        if (options.Processes)
        {
            try
            {
                return ProcessBench.Run(options);
            }
            catch (Exception e) when (e is EpConfigurationException or EpBootstrapException or Interop.EpNativeLibraryException)
            {
                // The launch itself is wrong (variables, rendezvous, libraries): nothing was measured.
                Console.Error.WriteLine("Ep.Bench: cannot join the process run: " + e.Message);
                return 1;
            }
#pragma warning disable CA1031 // A rank that fails outside an engine (the baseline, a gather) says so and exits 1; ep-run then stops the others.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine("Ep.Bench: this rank failed: " + e);
                return 1;
            }
        }

        if (options.Nvrtc)
        {
            NvrtcReport nvrtc = NvrtcBench.Run(line => Console.Error.WriteLine("Ep.Bench: " + line));
            Console.WriteLine(NvrtcTableWriter.Write(nvrtc));
            if (options.JsonPath is { } nvrtcJson)
            {
                JsonReportWriter.Write(nvrtc, nvrtcJson);
                Console.Error.WriteLine("Ep.Bench: wrote " + nvrtcJson);
            }

            return nvrtc.Problem is null ? 0 : 1;
        }

        if (options.RoutePlan)
        {
            RoutePlanReport plan = RoutePlanBench.Run(options);
            Console.WriteLine(RoutePlanTableWriter.Write(plan));
            if (options.JsonPath is { } planJson)
            {
                JsonReportWriter.Write(plan, planJson);
                Console.Error.WriteLine("Ep.Bench: wrote " + planJson);
            }

            return 0;
        }

        if (options.Kernels)
        {
            KernelReport kernels = KernelBench.Run(options, line => Console.Error.WriteLine("Ep.Bench: " + line));
            Console.WriteLine(KernelTableWriter.Write(kernels));
            if (options.JsonPath is { } kernelJson)
            {
                JsonReportWriter.Write(kernels, kernelJson);
                Console.Error.WriteLine("Ep.Bench: wrote " + kernelJson);
            }

            return kernels.Problem is null ? 0 : 1;
        }

        BenchReport report = Run(options);
        Console.WriteLine(TableWriter.Write(report));
        if (options.JsonPath is { } path)
        {
            JsonReportWriter.Write(report, path);
            Console.Error.WriteLine("Ep.Bench: wrote " + path);
        }

        bool failed = report.Engines.Any(e => e.Status == "failed");
        bool requestedButSkipped = options.EnginesRequested && report.Engines.Any(e => e.Status == "skipped");
        return failed || requestedButSkipped ? 1 : 0;
    }

    private static BenchReport Run(BenchOptions options)
    {
        static void Log(string line) => Console.Error.WriteLine("Ep.Bench: " + line);
        EpLayerSpec spec = options.Layer.Spec;
        string started = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        bool gpu = EpDevice.GpuCount > 0;
        string? device = null;
        CopyBaseline? copy = null;
        string? copyProblem = "no CUDA device: nothing to measure";
        SampleSummary? roundTrip = null;
        if (gpu)
        {
            CudaDevice cuda = CudaDevice.Current(0);
            device = $"{cuda.Name} ({cuda.Architecture}, {cuda.MultiprocessorCount} SMs)";
            long[][] routing = Enumerable.Range(0, options.Ranks).Select(r => spec.Algorithm == EpAlgorithm.LowLatency
                ? EpBenchRouting.LowLatency(options.Tokens, spec.Experts, spec.TopK, r)
                : EpBenchRouting.HighThroughput(options.Tokens, spec.Experts, spec.TopK, r)).ToArray();
            long bytes = Enumerable.Range(0, options.Ranks).Sum(r => ByteFormulas.BytesPerRank(spec, routing, r));
            Log(string.Create(CultureInfo.InvariantCulture, $"copy baseline: {bytes / 1e6:F2} MB device-to-device"));
            try
            {
                copy = CopyBandwidth.Measure(0, bytes, options.Warmup, options.Iterations);
                copyProblem = null;
                roundTrip = HostRoundTrip.Measure(0, options.Warmup, options.Iterations);
            }
            catch (CudaException e)
            {
                copyProblem = "failed: " + e.Message;
            }
        }

        EpBenchResult? epBench = null;
        if (options.RunEpBench)
        {
            Log("ep_bench: " + (Environment.GetEnvironmentVariable(EpBenchRunner.Variable) is { Length: > 0 } b ? "running " + b : EpBenchRunner.Variable + " not set, skipped"));
            epBench = EpBenchRunner.Run(spec, options.Tokens, options.Warmup, options.Iterations, options.EpBenchTimeout);
        }

        var engines = new List<EngineResult>();
        foreach (BenchEngine engine in options.Engines)
        {
            Log(engine.Name() + ": starting");
            EngineResult result = EngineRunner.Run(engine, options, epBench?.Figures, Log, copy);
            Log(engine.Name() + ": " + result.Status + (result.Status == "ok" ? string.Empty : " — " + result.Detail));
            engines.Add(result);
        }

        return new BenchReport("Ep.Bench", started, device, LayerConfiguration.Of(options), copy, copyProblem, epBench, engines,
            HostRoundTripMicroseconds: roundTrip);
    }

    private static string LayerList() =>
        string.Join(Environment.NewLine, BenchLayers.All.Select(l => $"{l.Name,-12} {l.Description}"));
}
