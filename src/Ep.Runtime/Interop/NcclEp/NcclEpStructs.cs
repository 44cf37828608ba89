using System;
using System.Runtime.InteropServices;

namespace Ep.Interop.NcclEp;

// Mirrors of nccl_ep.h v0.1 (x86-64 LP64). The library checks `size` against its own sizeof and `magic` against
// NCCL_EP_MAGIC, so every mirror is created through Create(), never `default`. Offsets are pinned by
// tests/Ep.Runtime.Tests/Interop/NcclEpLayoutTests.cs against the header's layout.

/// <summary><c>ncclEpTensor_t</c> (48 bytes): a device buffer by pointer, or by window and offset.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpTensor
{
    public uint Size;
    public uint Magic;
    public uint Dimensions;
    public int DataType;
    public ulong Data;
    public IntPtr Window;
    public ulong WindowOffset;
    public nuint* Sizes;

    /// <summary>A descriptor of <paramref name="data"/>; <paramref name="sizes"/> must stay pinned for as long as the library reads it.</summary>
    public static NcclEpTensor Create(int dataType, uint dimensions, nuint* sizes, ulong data) => new()
    {
        Size = (uint)sizeof(NcclEpTensor),
        Magic = NcclEpConstants.TensorMagic,
        Dimensions = dimensions,
        DataType = dataType,
        Data = data,
        Sizes = sizes,
    };
}

/// <summary><c>ncclEpTensorAllocConfig_t</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpTensorAllocConfig
{
    public uint Size;
    public uint Magic;

    public static NcclEpTensorAllocConfig Create() => new() { Size = (uint)sizeof(NcclEpTensorAllocConfig), Magic = NcclEpConstants.Magic };
}

/// <summary><c>ncclEpAllocConfig_t</c> (24 bytes, no size or magic): optional allocator callbacks.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NcclEpAllocConfig
{
    public IntPtr AllocFunction;
    public IntPtr FreeFunction;
    public IntPtr Context;
}

/// <summary><c>ncclEpGroupConfig_t</c> (96 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpGroupConfig
{
    public uint Size;
    public uint Magic;
    public uint Version;
    public NcclEpAlgorithm Algorithm;
    public uint NumExperts;
    public uint MaxDispatchTokensPerRank;
    public uint MaxRecvTokensPerRank;
    public uint MaxTokenBytes;
    public CULong RdmaBufferSize; // C `unsigned long`
    public uint NumQpPerRank;
    public uint NumChannels;
    public uint MaxNumSms;
    public NcclEpAllocConfig Alloc;
    public uint EnableMask;
    public ulong TimeoutNanoseconds;

    public static NcclEpGroupConfig Create() => new()
    {
        Size = (uint)sizeof(NcclEpGroupConfig),
        Magic = NcclEpConstants.Magic,
        Version = NcclEpConstants.ApiVersion,
    };
}

/// <summary><c>ncclEpLayoutInfo_t</c> (40 bytes): counters Update (HT) or Dispatch (LL) writes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpLayoutInfo
{
    public uint Size;
    public uint Magic;
    public NcclEpTensor* ExpertCounters;
    public NcclEpTensor* SourceRankCounters;
    public NcclEpTensor* ExpertOffsets;
    public NcclEpTensor* ReceiveTotalCounter;

    public static NcclEpLayoutInfo Create() => new() { Size = (uint)sizeof(NcclEpLayoutInfo), Magic = NcclEpConstants.Magic };
}

/// <summary><c>ncclEpDispatchInputs_t</c> (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpDispatchInputs
{
    public uint Size;
    public uint Magic;
    public NcclEpTensor* Tokens;
    public NcclEpTensor* TopkWeights;
    public NcclEpTensor* Scales;

    public static NcclEpDispatchInputs Create() => new() { Size = (uint)sizeof(NcclEpDispatchInputs), Magic = NcclEpConstants.Magic };
}

/// <summary><c>ncclEpDispatchOutputs_t</c> (40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpDispatchOutputs
{
    public uint Size;
    public uint Magic;
    public NcclEpTensor* Tokens;
    public NcclEpTensor* TopkWeights;
    public NcclEpTensor* Scales;
    public NcclEpTensor* TopkIdx;

    public static NcclEpDispatchOutputs Create() => new() { Size = (uint)sizeof(NcclEpDispatchOutputs), Magic = NcclEpConstants.Magic };
}

/// <summary><c>ncclEpCombineInputs_t</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpCombineInputs
{
    public uint Size;
    public uint Magic;
    public NcclEpTensor* Tokens;
    public NcclEpTensor* TopkWeights;

    public static NcclEpCombineInputs Create() => new() { Size = (uint)sizeof(NcclEpCombineInputs), Magic = NcclEpConstants.Magic };
}

/// <summary><c>ncclEpCombineOutputs_t</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpCombineOutputs
{
    public uint Size;
    public uint Magic;
    public NcclEpTensor* Tokens;
    public NcclEpTensor* TopkWeights;

    public static NcclEpCombineOutputs Create() => new() { Size = (uint)sizeof(NcclEpCombineOutputs), Magic = NcclEpConstants.Magic };
}

/// <summary><c>ncclEpHandleConfig_t</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpHandleConfig
{
    public uint Size;
    public uint Magic;
    public nuint DispatchOutputPerExpertAlignment;

    public static NcclEpHandleConfig Create(nuint alignment) => new()
    {
        Size = (uint)sizeof(NcclEpHandleConfig),
        Magic = NcclEpConstants.Magic,
        DispatchOutputPerExpertAlignment = alignment,
    };
}

/// <summary><c>ncclEpDispatchConfig_t</c> (20 bytes, 4-byte aligned).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpDispatchConfig
{
    public uint Size;
    public uint Magic;
    public uint SendOnly;
    public uint RoundScales;
    public NcclEpPassDirection PassDirection;

    public static NcclEpDispatchConfig Create(NcclEpPassDirection direction) => new()
    {
        Size = (uint)sizeof(NcclEpDispatchConfig),
        Magic = NcclEpConstants.Magic,
        PassDirection = direction,
    };
}

/// <summary><c>ncclEpCombineConfig_t</c> (16 bytes, 4-byte aligned).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpCombineConfig
{
    public uint Size;
    public uint Magic;
    public uint SendOnly;
    public NcclEpPassDirection PassDirection;

    public static NcclEpCombineConfig Create(NcclEpPassDirection direction) => new()
    {
        Size = (uint)sizeof(NcclEpCombineConfig),
        Magic = NcclEpConstants.Magic,
        PassDirection = direction,
    };
}

/// <summary><c>ncclEpCompleteConfig_t</c> (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclEpCompleteConfig
{
    public uint Size;
    public uint Magic;

    public static NcclEpCompleteConfig Create() => new() { Size = (uint)sizeof(NcclEpCompleteConfig), Magic = NcclEpConstants.Magic };
}
