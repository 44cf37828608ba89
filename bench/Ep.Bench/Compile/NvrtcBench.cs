using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Ep.Bench.Layers;
using Ep.Bench.Metrics;
using Ep.Interop.Cuda;
using Ep.Kernels;

namespace Ep.Bench.Compile;

/// <summary>
/// <c>--nvrtc</c>: for every declared bench layer, what the first use of a layer costs on a machine (NVRTC compiles the
/// generated source for this GPU, the cubin goes to the disk cache, the module loads) and what every later process pays
/// (the cubin read from the cache and loaded). Each compile uses a fresh, empty cache folder; the folders are removed
/// afterwards. NVRTC itself starts first, on a one-kernel program, so its start-up lands on no layer. Only a layer's
/// first compile is a first use: compiling the same source again in the process takes a small fraction of it (measured
/// on an H100 with CUDA 13: 1.3–2.6 s, then 28–51 ms), so the repeats are reported apart.
/// </summary>
internal static class NvrtcBench
{
    /// <summary>Compiles per layer, each in a fresh cache: the first of them, then repeats of the same source.</summary>
    public const int Compiles = 3;

    private const string StartupSource = "extern \"C\" __global__ void ep_nvrtc_start_up() {}\n";

    /// <summary>Cached loads per layer.</summary>
    public const int CachedLoads = 10;

    /// <summary>Runs every layer; a failure becomes the report's <see cref="NvrtcReport.Problem"/>, never an exception.</summary>
    public static NvrtcReport Run(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        string started = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        if (EpDevice.GpuCount == 0)
        {
            return new NvrtcReport("Ep.Bench --nvrtc", started, null, null, Compiles, CachedLoads,
                "no CUDA device (or no CUDA driver) on this machine: --nvrtc compiles for a GPU's architecture and loads the module on it", []);
        }

        CudaDevice device = CudaDevice.Current(0);
        string name = $"{device.Name} ({device.Architecture})";
        var results = new List<NvrtcLayerResult>();
        string? nvrtc = null;
        double? startup = null;
        try
        {
            (int major, int minor) = NvrtcCompiler.Version();
            nvrtc = string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}");
            long startupBegan = System.Diagnostics.Stopwatch.GetTimestamp();
            NvrtcCompiler.Compile(StartupSource, "nvrtc-start-up.cu", device.Architecture);
            startup = System.Diagnostics.Stopwatch.GetElapsedTime(startupBegan).TotalMilliseconds;
            foreach (BenchLayer layer in BenchLayers.All)
            {
                log("nvrtc: " + layer.Name);
                results.Add(Measure(layer, device));
            }
        }
#pragma warning disable CA1031 // The report says what failed and keeps what was measured; the exit code says it failed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new NvrtcReport("Ep.Bench --nvrtc", started, name, nvrtc, Compiles, CachedLoads, e.GetType().Name + ": " + e.Message, results, startup);
        }

        return new NvrtcReport("Ep.Bench --nvrtc", started, name, nvrtc, Compiles, CachedLoads, null, results, startup);
    }

    private static NvrtcLayerResult Measure(BenchLayer layer, CudaDevice device)
    {
        var first = new List<double>(Compiles);
        var cached = new List<double>(CachedLoads);
        long cubinBytes = 0;
        for (int i = 0; i < Compiles; i++)
        {
            string folder = Path.Combine(Path.GetTempPath(), "ep-nvrtc-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                var cache = new KernelCache(folder);
                using (KernelModule compiled = KernelLoader.Load(layer.KernelSource, layer.Name, device, cache))
                {
                    Expect(compiled, KernelOrigin.Compiled, layer);
                    first.Add(compiled.LoadTime.TotalMilliseconds);
                    cubinBytes = new FileInfo(compiled.CachePath).Length;
                }

                // The loads after the last compile read the cache that compile wrote.
                for (int j = 0; i == Compiles - 1 && j < CachedLoads; j++)
                {
                    using KernelModule loaded = KernelLoader.Load(layer.KernelSource, layer.Name, device, cache);
                    Expect(loaded, KernelOrigin.DiskCache, layer);
                    cached.Add(loaded.LoadTime.TotalMilliseconds);
                }
            }
            finally
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }

        return new NvrtcLayerResult(layer.Name, layer.KernelSource.Length, cubinBytes, first[0], SampleSummary.Of(first[1..]), SampleSummary.Of(cached));
    }

    private static void Expect(KernelModule module, KernelOrigin origin, BenchLayer layer)
    {
        if (module.Origin != origin)
        {
            throw new InvalidOperationException($"{layer.Name}: the module came from {module.Origin}, expected {origin} (is EP_KERNEL_CACHE_DIR shared with another run?).");
        }
    }
}
