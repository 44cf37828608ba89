using System.Collections.Generic;
using Ep.Bench.Baselines;
using Ep.Bench.Metrics;

namespace Ep.Bench.Kernels;

/// <summary>One kernel timed alone.</summary>
/// <param name="Kernel">The CUDA function name.</param>
/// <param name="ServesOperation">The layer operation that launches it (native/kernels/README.md call order).</param>
/// <param name="Blocks">Grid size of the launch (256 threads each).</param>
/// <param name="Bytes">Bytes it must read and write (<see cref="KernelTraffic"/>).</param>
/// <param name="Microseconds">Device time per launch (events on a dedicated stream).</param>
/// <param name="GigabytesPerSecond">(read + written bytes) ÷ median time, 10⁹ B/s.</param>
/// <param name="RatioToCopy">GigabytesPerSecond ÷ the copy's memory traffic (2 × copied GB/s); the target is ≥ 0.8.</param>
/// <param name="Resources">Registers, shared and local memory, occupancy; null when they could not be read.</param>
/// <param name="Limit">Below the target: the likely limits from the resource report; null when it meets it.</param>
internal sealed record KernelResult(string Kernel, string ServesOperation, long Blocks, KernelBytes Bytes, SampleSummary Microseconds,
    double GigabytesPerSecond, double? RatioToCopy, KernelResources? Resources, string? Limit);

/// <summary>The <c>--kernels</c> run: each generated kernel alone against the same-run copy bandwidth.</summary>
internal sealed record KernelReport(
    string Tool,
    string StartedUtc,
    string? Device,
    string Layer,
    int Multiprocessors,
    KernelCounts? Counts,
    CopyBaseline? CopyBaseline,
    int Warmup,
    int Iterations,
    string? Problem,
    IReadOnlyList<KernelResult> Kernels);
