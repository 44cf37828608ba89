using System;
using Ep.Interop;
using Ep.Interop.Cuda;

namespace Ep.Kernels;

/// <summary>
/// Launches a kernel with its arguments held in 8-byte slots. <c>cuLaunchKernel</c> reads each argument's own size
/// from the address given, so an <c>int</c> parameter reads the low 4 bytes of its slot (little-endian), a pointer all 8.
/// </summary>
internal static unsafe class KernelLaunch
{
    /// <summary>The slot for a float parameter: its bit pattern in the low 4 bytes.</summary>
    public static long Float(float value) => BitConverter.SingleToInt32Bits(value);

    public static void Run(IntPtr function, (uint X, uint Y) grid, uint block, uint sharedBytes, CudaStreamHandle stream, ReadOnlySpan<long> arguments)
    {
        if (grid.X == 0 || grid.Y == 0)
        {
            return; // Nothing to do; CUDA rejects empty grids.
        }

        const int MaxArguments = 32;
        if (arguments.Length > MaxArguments)
        {
            throw new ArgumentOutOfRangeException(nameof(arguments), arguments.Length, $"At most {MaxArguments} kernel arguments are supported.");
        }

        long* slots = stackalloc long[arguments.Length];
        void** pointers = stackalloc void*[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            slots[i] = arguments[i];
            pointers[i] = slots + i;
        }

        using NativeCallClock.Scope native = NativeCallClock.Measure();
        CudaException.ThrowIfFailed(CudaDriver.LaunchKernel(function, grid.X, grid.Y, 1, block, 1, 1, sharedBytes,
            stream.DangerousGetHandle(), pointers, null));
    }
}
