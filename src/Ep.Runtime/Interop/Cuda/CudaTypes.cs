using System;
using System.Runtime.InteropServices;

namespace Ep.Interop.Cuda;

/// <summary><c>CUresult</c>; only the values Ep tests for are named, the rest come back through cuGetErrorName.</summary>
internal enum CudaResult
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    NoDevice = 100,
    InvalidDevice = 101,
    InvalidImage = 200,
    NotFound = 500,
    NotReady = 600,
    IllegalAddress = 700,
    LaunchFailed = 719,
}

/// <summary><c>CUdevice_attribute</c> values Ep reads (numbers from cuda.h).</summary>
internal enum CudaDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    WarpSize = 10,
    MultiprocessorCount = 16,
    MaxThreadsPerMultiprocessor = 39,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerBlockOptin = 97,
}

/// <summary><c>CUfunction_attribute</c> values Ep sets or reads (numbers from cuda.h).</summary>
internal enum CudaFunctionAttribute
{
    MaxThreadsPerBlock = 0,
    SharedSizeBytes = 1,
    ConstSizeBytes = 2,
    LocalSizeBytes = 3,
    NumRegs = 4,
    MaxDynamicSharedSizeBytes = 8,
}

/// <summary><c>CUstreamCaptureMode</c>: which CUDA calls other threads may make while a stream is being captured.</summary>
internal enum CudaStreamCaptureMode
{
    Global = 0,
    ThreadLocal = 1,

    /// <summary>No restriction on other threads (NCCL EP's own graph test captures this way).</summary>
    Relaxed = 2,
}

/// <summary><c>CUstreamCaptureStatus</c>.</summary>
internal enum CudaStreamCaptureStatus
{
    None = 0,
    Active = 1,

    /// <summary>A capture that an illegal call (a synchronisation, say) broke; it must be ended and discarded.</summary>
    Invalidated = 2,
}

/// <summary>
/// <c>CUgraphNodeParams</c> (256 bytes) as a conditional node's parameters: <c>type</c> at 0, then the union at 16,
/// whose <c>CUDA_CONDITIONAL_NODE_PARAMS</c> is handle, type, size, <c>phGraph_out</c> (the body graphs, CUDA's array,
/// filled by cuGraphAddNode) and the context.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal unsafe struct CudaGraphNodeParams
{
    /// <summary><c>CU_GRAPH_NODE_TYPE_CONDITIONAL</c>.</summary>
    public const int ConditionalNode = 13;

    /// <summary><c>CU_GRAPH_COND_TYPE_IF</c>.</summary>
    public const int If = 0;

    [FieldOffset(0)]
    public int Type;

    [FieldOffset(16)]
    public ulong ConditionalHandle;

    [FieldOffset(24)]
    public int ConditionalType;

    [FieldOffset(28)]
    public uint BodyCount;

    [FieldOffset(32)]
    public IntPtr* Bodies;

    [FieldOffset(40)]
    public IntPtr Context;
}
