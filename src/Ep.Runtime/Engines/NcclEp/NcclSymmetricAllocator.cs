using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Ep.Interop;
using Ep.Interop.Nccl;

namespace Ep.Engines.NcclEp;

/// <summary>
/// Symmetric memory for zero-copy: <c>ncclMemAlloc</c> plus a collective <c>ncclCommWindowRegister</c> with
/// <c>NCCL_WIN_COLL_SYMMETRIC</c>, one window per tensor at offset 0. Every rank allocates the same shapes in the same
/// order, and must dispose them in the same order too: deregistration is collective, and it runs before the free.
/// What is still registered when the engine ends is released in reverse order of allocation (<see cref="ReleaseAll"/>).
/// </summary>
internal sealed class NcclSymmetricAllocator
{
    private readonly System.Collections.Generic.List<Registration> _live = new();
    private readonly object _gate = new();
    private readonly IntPtr _communicator;
    private readonly EpDevice _device;
    private long _windows;

    public NcclSymmetricAllocator(IntPtr communicator, EpDevice device)
    {
        _communicator = communicator;
        _device = device;
    }

    public SymmetricTensor<T> Allocate<T>(int rows, int columns)
        where T : unmanaged
    {
        if (!Nccl.HasWindows)
        {
            throw new EpNativeLibraryException(
                "Symmetric memory needs ncclCommWindowRegister (NCCL 2.27 or newer); the loaded libnccl lacks it. Point EP_NCCL_LIBRARY at a newer NCCL.");
        }

        long length = (long)rows * columns;
        long bytes = Math.Max(1, length) * Unsafe.SizeOf<T>();
        NcclException.ThrowIfFailed(Nccl.MemAlloc(out ulong pointer, (nuint)bytes));
        IntPtr window;
        try
        {
            NcclException.ThrowIfFailed(Nccl.CommWindowRegister(_communicator, pointer, (nuint)bytes, out window, Nccl.WindowCollectiveSymmetric));
        }
        catch
        {
            Nccl.MemFree(pointer);
            throw;
        }

        var registration = new Registration(this, _communicator, pointer, window);
        lock (_gate)
        {
            _live.Add(registration);
        }

        DeviceStorage<T> storage = DeviceStorage<T>.Adopt(_device, length, pointer, registration);
        var handle = new SymmetricWindow(Interlocked.Increment(ref _windows), bytes, window);
        return new SymmetricTensor<T>(storage, 0, rows, columns, 2, ownsStorage: true, handle, 0);
    }

    /// <summary>Collective: deregisters and frees every allocation still live, newest first (windows nest like a stack).</summary>
    public void ReleaseAll()
    {
        Registration[] live;
        lock (_gate)
        {
            live = _live.ToArray();
        }

        for (int i = live.Length - 1; i >= 0; i--)
        {
            live[i].Dispose();
        }
    }

    private void Forget(Registration registration)
    {
        lock (_gate)
        {
            _live.Remove(registration);
        }
    }

    /// <summary>Deregisters (collective) and then frees one symmetric allocation.</summary>
    private sealed class Registration(NcclSymmetricAllocator owner, IntPtr communicator, ulong pointer, IntPtr window) : IDisposable
    {
        private bool _released;

        public void Dispose()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            owner.Forget(this);
            NcclException.ThrowIfFailed(Nccl.CommWindowDeregister(communicator, window));
            NcclException.ThrowIfFailed(Nccl.MemFree(pointer));
        }
    }
}
