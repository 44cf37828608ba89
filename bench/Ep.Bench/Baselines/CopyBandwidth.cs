using System;
using System.Collections.Generic;
using Ep.Bench.Metrics;
using Ep.Interop.Cuda;

namespace Ep.Bench.Baselines;

/// <summary>The result of the copy baseline.</summary>
/// <param name="Bytes">Bytes copied per call.</param>
/// <param name="Microseconds">Device time per copy.</param>
/// <param name="GigabytesPerSecond">Bytes copied per second at the median (the device memory moves twice this: read and write).</param>
internal sealed record CopyBaseline(long Bytes, SampleSummary Microseconds, double GigabytesPerSecond);

/// <summary>
/// The physical ceiling of a one-GPU run, measured in the same process: <c>cuMemcpyDtoDAsync</c> of the same number of
/// bytes a step's Dispatch moves, on a stream of its own, timed with events like the operations. Ranks simulated on one
/// GPU exchange rows by device copies, so a Dispatch cannot beat this copy; NCCL EP at one rank moves rows locally too.
/// </summary>
internal static class CopyBandwidth
{
    /// <summary>Copies <paramref name="bytes"/> (at least 1 MiB) <paramref name="warmup"/> + <paramref name="iterations"/> times on GPU <paramref name="ordinal"/>.</summary>
    public static CopyBaseline Measure(int ordinal, long bytes, int warmup, int iterations)
    {
        bytes = Math.Max(bytes, 1L << 20);
        CudaDevice.Current(ordinal);
        using var source = DeviceMemoryHandle.Allocate(bytes);
        using var destination = DeviceMemoryHandle.Allocate(bytes);
        using var stream = CudaStreamHandle.Create();
        using var start = CudaEventHandle.Create(timing: true);
        using var end = CudaEventHandle.Create(timing: true);
        IntPtr s = stream.DangerousGetHandle();

        // A non-zero pattern (bf16 1.0 pairs): never time zeros.
        CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(source.Pointer, 0x3F803F80u, (nuint)(bytes / 4), s));
        var samples = new List<double>(iterations);
        for (int i = 0; i < warmup + iterations; i++)
        {
            start.Record(stream);
            CudaException.ThrowIfFailed(CudaDriver.MemcpyDtoDAsync(destination.Pointer, source.Pointer, (nuint)bytes, s));
            end.Record(stream);
            end.Synchronize();
            if (i >= warmup)
            {
                samples.Add(end.ElapsedSince(start) * 1000.0);
            }
        }

        SampleSummary summary = SampleSummary.Of(samples);
        return new CopyBaseline(bytes, summary, ByteFormulas.GigabytesPerSecond(bytes, summary.Median) ?? 0);
    }
}
