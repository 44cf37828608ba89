using System;
using System.Threading;

namespace Ep.Interop.Cuda;

/// <summary>
/// A word of page-locked host memory that a stream sets once the work queued before it has finished
/// (<c>cuStreamWriteValue32</c>, which fences that work's writes first), so the host can tell finished work by reading
/// memory instead of asking the driver. In a process running NCCL EP, <c>cuEventQuery</c> and <c>cuEventSynchronize</c>
/// on an event that had long finished each took ≈ 1.5 µs of host time (0.2 µs in a process of their own), and a prepared
/// Dispatch spends that with the stream idle (bench/RESULTS.md run 19).
/// </summary>
/// <remarks>
/// Each <see cref="Signal"/> queues a new value (a counter), and <see cref="IsSet"/> compares against the value it
/// returned, so a value left by an earlier signal never passes for a later one.
/// </remarks>
internal sealed unsafe class HostCompletionFlag : IDisposable
{
    private readonly PinnedHostMemoryHandle _memory;
    private readonly ulong _deviceAddress;
    private uint _lastSignal;

    private HostCompletionFlag(PinnedHostMemoryHandle memory, ulong deviceAddress)
    {
        _memory = memory;
        _deviceAddress = deviceAddress;
    }

    /// <summary>
    /// A flag that <paramref name="stream"/> can set, or null where the driver refuses stream memory operations (the
    /// caller then waits on an event, as before). The current context's device must be current.
    /// </summary>
    public static HostCompletionFlag? TryCreate(CudaStreamHandle stream)
    {
        PinnedHostMemoryHandle memory = PinnedHostMemoryHandle.Allocate(sizeof(uint));
        try
        {
            *(uint*)memory.Pointer = 0;
            CudaException.ThrowIfFailed(CudaDriver.MemHostGetDevicePointer(out ulong deviceAddress, memory.Pointer, 0));

            // A write of the value already there tells whether this driver and device take stream memory operations; a
            // refusal is not a sticky error, so the layer goes on without the flag.
            if (CudaDriver.StreamWriteValue32(stream.DangerousGetHandle(), deviceAddress, 0, 0) != CudaResult.Success)
            {
                memory.Dispose();
                return null;
            }

            return new HostCompletionFlag(memory, deviceAddress);
        }
        catch (EntryPointNotFoundException)
        {
            memory.Dispose();
            return null;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Queues, on <paramref name="stream"/>, the setting of the flag to a new value, returned.</summary>
    public uint Signal(CudaStreamHandle stream)
    {
        uint value = unchecked(_lastSignal + 1);
        using (NativeCallClock.Scope native = NativeCallClock.Measure())
        {
            CudaException.ThrowIfFailed(CudaDriver.StreamWriteValue32(stream.DangerousGetHandle(), _deviceAddress, value, 0));
        }

        _lastSignal = value;
        return value;
    }

    /// <summary>
    /// Whether the stream has set the flag to <paramref name="value"/> (from <see cref="Signal"/>): then everything
    /// queued before that signal has finished and its writes to page-locked memory are visible to this thread.
    /// </summary>
    public bool IsSet(uint value) => Volatile.Read(ref *(uint*)_memory.Pointer) == value;

    public void Dispose() => _memory.Dispose();
}
