using System.Collections.Generic;
using System.Diagnostics;
using Ep.Bench.Metrics;
using Ep.Interop.Cuda;

namespace Ep.Bench.Baselines;

/// <summary>
/// The host's floor for a call whose result the host reads from the device, measured in the same process: one device
/// operation (a 4-byte <c>cuMemsetD32Async</c>, standing for the kernel that writes the result), an 8-byte
/// <c>cuMemcpyDtoHAsync</c> into page-locked memory and <c>cuStreamSynchronize</c>, timed on the host with nothing
/// else queued. An eager Dispatch returns counts, offsets and row counts on the host and checks the routing before
/// NCCL EP may see it, so it pays at least this once; a replayed graph does not (its counts stay on the device and its
/// errors come with <c>Wait</c>).
/// </summary>
internal static class HostRoundTrip
{
    /// <summary>
    /// <paramref name="warmup"/> + <paramref name="iterations"/> round trips on GPU <paramref name="ordinal"/>; µs of
    /// host wall time each.
    /// </summary>
    public static SampleSummary Measure(int ordinal, int warmup, int iterations)
    {
        CudaDevice.Current(ordinal);
        using var word = DeviceMemoryHandle.Allocate(sizeof(long));
        using var stream = CudaStreamHandle.Create();
        using var readBack = new PinnedHostBuffer<long>(1);
        var samples = new List<double>(iterations);
        for (int i = 0; i < warmup + iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(word.Pointer, (uint)i, 1, stream.DangerousGetHandle()));
            readBack.Download(word.Pointer, 1, stream);
            long end = Stopwatch.GetTimestamp();
            if (i >= warmup)
            {
                samples.Add(Stopwatch.GetElapsedTime(start, end).TotalMicroseconds);
            }
        }

        return SampleSummary.Of(samples);
    }
}
