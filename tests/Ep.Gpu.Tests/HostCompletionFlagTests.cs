using System;
using System.Threading;
using Ep.Interop.Cuda;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>The host word a stream sets after a prepared Dispatch's read-back, read instead of querying an event.</summary>
public sealed unsafe class HostCompletionFlagTests
{
    [GpuFact]
    public void The_flag_is_set_only_once_the_work_queued_before_its_signal_has_finished()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        using HostCompletionFlag flag = HostCompletionFlag.TryCreate(stream) ?? throw new InvalidOperationException("this GPU refused stream memory operations");
        using var gate = PinnedHostMemoryHandle.Allocate(sizeof(uint));
        *(uint*)gate.Pointer = 0;
        CudaException.ThrowIfFailed(CudaDriver.MemHostGetDevicePointer(out ulong gateAddress, gate.Pointer, 0));

        // The stream waits for the host to open the gate, so the signal behind it cannot have run yet.
        CudaException.ThrowIfFailed(CudaDriver.StreamWaitValue32(stream.DangerousGetHandle(), gateAddress, 1, 0));
        uint first;
        bool setWhileGated;
        try
        {
            first = flag.Signal(stream);
            Thread.Sleep(20);
            setWhileGated = flag.IsSet(first);
        }
        finally
        {
            Volatile.Write(ref *(uint*)gate.Pointer, 1); // never leave the stream held, or the synchronize below hangs
        }

        stream.Synchronize();
        bool setAfter = flag.IsSet(first);
        uint second = flag.Signal(stream);
        stream.Synchronize();

        Assert.False(setWhileGated);
        Assert.True(setAfter);
        Assert.NotEqual(first, second);
        Assert.True(flag.IsSet(second));
        Assert.False(flag.IsSet(first)); // an earlier signal's value never passes for the latest
    }

    [GpuFact]
    public void A_read_back_queued_before_the_signal_is_visible_once_the_flag_is_set()
    {
        using CudaDevice device = CudaDevice.Open(0);
        using var stream = CudaStreamHandle.Create();
        using HostCompletionFlag flag = HostCompletionFlag.TryCreate(stream) ?? throw new InvalidOperationException("this GPU refused stream memory operations");
        using var memory = DeviceMemoryHandle.Allocate(1024 * sizeof(int));
        using var readBack = new PinnedHostBuffer<int>(1024);
        CudaException.ThrowIfFailed(CudaDriver.MemsetD32Async(memory.Pointer, 5u, 1024, stream.DangerousGetHandle()));

        readBack.DownloadAsync(memory.Pointer, 1024, stream);
        uint signal = flag.Signal(stream);
        SpinWait.SpinUntil(() => flag.IsSet(signal), TimeSpan.FromSeconds(10));

        Assert.True(flag.IsSet(signal));
        Assert.All(readBack.Span.ToArray(), value => Assert.Equal(5, value));
    }
}
