using System.Collections.Generic;
using Ep.Bench.Metrics;

namespace Ep.Bench.Compile;

/// <summary>One declared layer's kernel module: NVRTC's first compile and the cached load a later process pays.</summary>
/// <param name="Layer">The bench layer's name.</param>
/// <param name="SourceBytes">Length of the generated CUDA source (the layer's <c>KernelSource</c>).</param>
/// <param name="CubinBytes">Size of the compiled module as cached on disk.</param>
/// <param name="FirstCompileMilliseconds">
/// Empty cache, a source this process's NVRTC has not compiled before: compile + cache write + module load — what the
/// first use of the layer on a machine costs.
/// </param>
/// <param name="RepeatCompileMilliseconds">
/// The same source compiled again, each time into a fresh empty cache: far faster (NVRTC reuses work within the
/// process), so not what a first use costs; reported because earlier runs took its median for the first compile.
/// </param>
/// <param name="CachedLoadMilliseconds">Warm cache: cubin read + module load.</param>
internal sealed record NvrtcLayerResult(string Layer, int SourceBytes, long CubinBytes, double FirstCompileMilliseconds,
    SampleSummary RepeatCompileMilliseconds, SampleSummary CachedLoadMilliseconds);

/// <summary>
/// The <c>--nvrtc</c> run; <c>StartupMilliseconds</c> is NVRTC's own start-up: a one-kernel program compiled before any
/// layer, so that it lands on none of them.
/// </summary>
internal sealed record NvrtcReport(string Tool, string StartedUtc, string? Device, string? Nvrtc, int Compiles, int CachedLoads,
    string? Problem, IReadOnlyList<NvrtcLayerResult> Layers, double? StartupMilliseconds = null);
