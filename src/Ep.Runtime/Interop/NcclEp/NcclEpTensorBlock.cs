using System;
using System.Runtime.InteropServices;

namespace Ep.Interop.NcclEp;

/// <summary>
/// One <c>ncclEpTensor_t</c> and its sizes array in a single block of native memory, so both addresses stay fixed for
/// as long as NCCL EP may read them (LowLatency keeps pointers to descriptors and to <c>topk_idx</c> across calls) and
/// re-describing a tensor each step allocates nothing.
/// </summary>
internal sealed unsafe class NcclEpTensorBlock : IDisposable
{
    private const int MaxDimensions = 3;
    private NcclEpTensor* _tensor;

    public NcclEpTensorBlock(int dataType)
    {
        _tensor = (NcclEpTensor*)NativeMemory.AllocZeroed((nuint)(sizeof(NcclEpTensor) + MaxDimensions * sizeof(nuint)));
        *_tensor = NcclEpTensor.Create(dataType, 0, (nuint*)(_tensor + 1), 0);
    }

    /// <summary>The descriptor's fixed address, for the native calls.</summary>
    public NcclEpTensor* Pointer => _tensor != null ? _tensor : throw new ObjectDisposedException(nameof(NcclEpTensorBlock));

    /// <summary>Describes <paramref name="data"/> as a tensor of <paramref name="sizes"/> (1 to 3 dimensions), by pointer.</summary>
    public NcclEpTensor* Describe(ulong data, ReadOnlySpan<long> sizes) => Bind(data, IntPtr.Zero, 0, sizes);

    /// <summary>Describes a window-backed tensor: NCCL EP resolves the address from the window and offset (HT only).</summary>
    public NcclEpTensor* DescribeWindow(IntPtr window, ulong offsetBytes, ReadOnlySpan<long> sizes) => Bind(0, window, offsetBytes, sizes);

    private NcclEpTensor* Bind(ulong data, IntPtr window, ulong offset, ReadOnlySpan<long> sizes)
    {
        if (sizes.Length is < 1 or > MaxDimensions)
        {
            throw new ArgumentOutOfRangeException(nameof(sizes), sizes.Length, $"An NCCL EP tensor has 1 to {MaxDimensions} dimensions.");
        }

        NcclEpTensor* tensor = Pointer;
        for (int i = 0; i < sizes.Length; i++)
        {
            tensor->Sizes[i] = (nuint)sizes[i];
        }

        tensor->Dimensions = (uint)sizes.Length;
        tensor->Data = data;
        tensor->Window = window;
        tensor->WindowOffset = offset;
        return tensor;
    }

    public void Dispose()
    {
        if (_tensor != null)
        {
            NativeMemory.Free(_tensor);
            _tensor = null;
        }
    }
}
