using System;
using Ep.Interop.Cuda;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>The page-locked staging buffers the engines upload layout tables from and read routing records into.</summary>
public sealed class PinnedHostBufferTests
{
    [GpuFact]
    public void Uploads_a_prefix_and_reads_it_back()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        using var memory = DeviceMemoryHandle.Allocate(8 * sizeof(int));
        using var staging = new PinnedHostBuffer<int>(8);
        using var readBack = new PinnedHostBuffer<int>(8);
        for (int i = 0; i < 8; i++)
        {
            staging.Span[i] = 10 * i + 1;
        }

        staging.Upload(5, memory.Pointer, stream);
        CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(memory.Pointer + 5 * sizeof(int), 7u, 3, stream.DangerousGetHandle()));
        ReadOnlySpan<int> values = readBack.Download(memory.Pointer, 8, stream);

        Assert.Equal([1, 11, 21, 31, 41, 7, 7, 7], values.ToArray());
    }

    [GpuFact]
    public void An_asynchronous_read_back_is_there_once_an_event_after_it_has_passed()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        using var memory = DeviceMemoryHandle.Allocate(4 * sizeof(int));
        using var readBack = new PinnedHostBuffer<int>(4);
        using var done = CudaEventHandle.Create(timing: false);
        CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(memory.Pointer, 9u, 4, stream.DangerousGetHandle()));

        readBack.Span[3] = -1; // past the count: left as it is
        readBack.DownloadAsync(memory.Pointer, 3, stream);
        done.Record(stream);
        done.Synchronize();

        Assert.Equal([9, 9, 9, -1], readBack.Span.ToArray());
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => readBack.DownloadAsync(memory.Pointer, 5, stream)).ParamName);
    }

    [GpuFact]
    public void A_count_past_the_end_names_the_length_and_moves_nothing()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        using var memory = DeviceMemoryHandle.Allocate(4 * sizeof(int));
        using var staging = new PinnedHostBuffer<int>(4);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => staging.Upload(5, memory.Pointer, stream));

        Assert.Equal("count", error.ParamName);
        Assert.Contains("[0, 4]", error.Message);
        Assert.Contains("got 5", error.Message);
    }
}
