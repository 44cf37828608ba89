using System.Collections.Generic;
using Ep.Bench.Metrics;

namespace Ep.Bench.Compile;

/// <summary>One declared layer's kernel module: NVRTC's first compile and the cached load a later process pays.</summary>
/// <param name="Layer">The bench layer's name.</param>
/// <param name="SourceBytes">Length of the generated CUDA source (the layer's <c>KernelSource</c>).</param>
/// <param name="CubinBytes">Size of the compiled module as cached on disk.</param>
/// <param name="FirstCompileMilliseconds">Empty cache: NVRTC compile + cache write + module load (one sample per fresh cache).</param>
/// <param name="CachedLoadMilliseconds">Warm cache: cubin read + module load.</param>
internal sealed record NvrtcLayerResult(string Layer, int SourceBytes, long CubinBytes, SampleSummary FirstCompileMilliseconds,
    SampleSummary CachedLoadMilliseconds);

/// <summary>The <c>--nvrtc</c> run.</summary>
internal sealed record NvrtcReport(string Tool, string StartedUtc, string? Device, string? Nvrtc, int Compiles, int CachedLoads,
    string? Problem, IReadOnlyList<NvrtcLayerResult> Layers);
