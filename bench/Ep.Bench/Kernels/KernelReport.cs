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
/// <param name="SameBytesCopy">A device copy of the kernel's own bytes ((read + written) ÷ 2 copied), same run; null for the latency-bound routing kernels.</param>
/// <param name="RatioToCopy">GigabytesPerSecond ÷ that copy's memory traffic (2 × copied GB/s): the target, ≥ 0.8.</param>
/// <param name="RatioToTokensCopy">GigabytesPerSecond ÷ the report's T × H copy traffic (the "copy bandwidth at 4096 × 7168 bf16").</param>
/// <param name="Resources">Registers, shared and local memory, occupancy; null when they could not be read.</param>
/// <param name="Limit">Below the target: the likely limits from the resource report; null when it meets it.</param>
internal sealed record KernelResult(string Kernel, string ServesOperation, long Blocks, KernelBytes Bytes, SampleSummary Microseconds,
    double GigabytesPerSecond, CopyBaseline? SameBytesCopy, double? RatioToCopy, double? RatioToTokensCopy, KernelResources? Resources, string? Limit);

/// <summary>The <c>--kernels</c> run: each generated kernel alone against same-run copies (CopyBaseline: T × H bf16; each kernel's own bytes in its result).</summary>
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
