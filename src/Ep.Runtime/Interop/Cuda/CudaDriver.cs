using System;
using System.Runtime.InteropServices;

namespace Ep.Interop.Cuda;

/// <summary>
/// The CUDA driver API functions Ep uses, bound by their exact exported symbols (the <c>_v2</c> names are what
/// cuda.h's macros select). Device pointers are <c>CUdeviceptr</c> = unsigned 64-bit.
/// </summary>
internal static unsafe partial class CudaDriver
{
    private const string Library = "cuda";

    [LibraryImport(Library, EntryPoint = "cuInit")]
    internal static partial CudaResult Init(uint flags);

    [LibraryImport(Library, EntryPoint = "cuDriverGetVersion")]
    internal static partial CudaResult DriverGetVersion(out int version);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetCount")]
    internal static partial CudaResult DeviceGetCount(out int count);

    [LibraryImport(Library, EntryPoint = "cuDeviceGet")]
    internal static partial CudaResult DeviceGet(out int device, int ordinal);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetName")]
    internal static partial CudaResult DeviceGetName(byte* name, int length, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetAttribute")]
    internal static partial CudaResult DeviceGetAttribute(out int value, CudaDeviceAttribute attribute, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")]
    internal static partial CudaResult DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRetain")]
    internal static partial CudaResult DevicePrimaryCtxRetain(out IntPtr context, int device);

    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    internal static partial CudaResult DevicePrimaryCtxRelease(int device);

    [LibraryImport(Library, EntryPoint = "cuCtxSetCurrent")]
    internal static partial CudaResult CtxSetCurrent(IntPtr context);

    [LibraryImport(Library, EntryPoint = "cuCtxSynchronize")]
    internal static partial CudaResult CtxSynchronize();

    [LibraryImport(Library, EntryPoint = "cuStreamCreate")]
    internal static partial CudaResult StreamCreate(out IntPtr stream, uint flags);

    [LibraryImport(Library, EntryPoint = "cuStreamDestroy_v2")]
    internal static partial CudaResult StreamDestroy(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuStreamSynchronize")]
    internal static partial CudaResult StreamSynchronize(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuStreamWaitEvent")]
    internal static partial CudaResult StreamWaitEvent(IntPtr stream, IntPtr cudaEvent, uint flags);

    // CUDA graphs: a stream's work recorded once (capture) and replayed by one launch.
    [LibraryImport(Library, EntryPoint = "cuStreamBeginCapture_v2")]
    internal static partial CudaResult StreamBeginCapture(IntPtr stream, CudaStreamCaptureMode mode);

    [LibraryImport(Library, EntryPoint = "cuStreamEndCapture")]
    internal static partial CudaResult StreamEndCapture(IntPtr stream, out IntPtr graph);

    [LibraryImport(Library, EntryPoint = "cuStreamIsCapturing")]
    internal static partial CudaResult StreamIsCapturing(IntPtr stream, out CudaStreamCaptureStatus status);

    [LibraryImport(Library, EntryPoint = "cuGraphInstantiateWithFlags")]
    internal static partial CudaResult GraphInstantiateWithFlags(out IntPtr graphExec, IntPtr graph, ulong flags);

    [LibraryImport(Library, EntryPoint = "cuGraphLaunch")]
    internal static partial CudaResult GraphLaunch(IntPtr graphExec, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuGraphExecDestroy")]
    internal static partial CudaResult GraphExecDestroy(IntPtr graphExec);

    [LibraryImport(Library, EntryPoint = "cuGraphDestroy")]
    internal static partial CudaResult GraphDestroy(IntPtr graph);

    [LibraryImport(Library, EntryPoint = "cuGraphCreate")]
    internal static partial CudaResult GraphCreate(out IntPtr graph, uint flags);

    // Conditional nodes (CUDA 12.3+): a body graph that runs when a device kernel set its handle's value non-zero. The
    // exported names are the ones cuda.h (CUDA 13) maps cuGraphAddNode, cuStreamGetCaptureInfo and
    // cuStreamUpdateCaptureDependencies to: the signatures with edge data.
    [LibraryImport(Library, EntryPoint = "cuGraphConditionalHandleCreate")]
    internal static partial CudaResult GraphConditionalHandleCreate(out ulong handle, IntPtr graph, IntPtr context, uint defaultLaunchValue, uint flags);

    [LibraryImport(Library, EntryPoint = "cuGraphAddNode_v2")]
    internal static partial CudaResult GraphAddNode(out IntPtr node, IntPtr graph, IntPtr* dependencies, void* edgeData, nuint dependencyCount,
        CudaGraphNodeParams* parameters);

    [LibraryImport(Library, EntryPoint = "cuStreamGetCaptureInfo_v3")]
    internal static partial CudaResult StreamGetCaptureInfo(IntPtr stream, out CudaStreamCaptureStatus status, out ulong id, out IntPtr graph,
        out IntPtr* dependencies, out void* edgeData, out nuint dependencyCount);

    [LibraryImport(Library, EntryPoint = "cuStreamUpdateCaptureDependencies_v2")]
    internal static partial CudaResult StreamUpdateCaptureDependencies(IntPtr stream, IntPtr* dependencies, void* edgeData, nuint dependencyCount, uint flags);

    [LibraryImport(Library, EntryPoint = "cuStreamBeginCaptureToGraph")]
    internal static partial CudaResult StreamBeginCaptureToGraph(IntPtr stream, IntPtr graph, IntPtr* dependencies, void* edgeData, nuint dependencyCount,
        CudaStreamCaptureMode mode);

    [LibraryImport(Library, EntryPoint = "cuEventCreate")]
    internal static partial CudaResult EventCreate(out IntPtr cudaEvent, uint flags);

    [LibraryImport(Library, EntryPoint = "cuEventDestroy_v2")]
    internal static partial CudaResult EventDestroy(IntPtr cudaEvent);

    [LibraryImport(Library, EntryPoint = "cuEventRecord")]
    internal static partial CudaResult EventRecord(IntPtr cudaEvent, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuEventRecordWithFlags")]
    internal static partial CudaResult EventRecordWithFlags(IntPtr cudaEvent, IntPtr stream, uint flags);

    [LibraryImport(Library, EntryPoint = "cuEventSynchronize")]
    internal static partial CudaResult EventSynchronize(IntPtr cudaEvent);

    [LibraryImport(Library, EntryPoint = "cuEventElapsedTime")]
    internal static partial CudaResult EventElapsedTime(out float milliseconds, IntPtr start, IntPtr end);

    [LibraryImport(Library, EntryPoint = "cuMemAlloc_v2")]
    internal static partial CudaResult MemAlloc(out ulong devicePointer, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")]
    internal static partial CudaResult MemFree(ulong devicePointer);

    [LibraryImport(Library, EntryPoint = "cuMemAllocHost_v2")]
    internal static partial CudaResult MemAllocHost(out IntPtr hostPointer, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemFreeHost")]
    internal static partial CudaResult MemFreeHost(IntPtr hostPointer);

    /// <summary>The device address of page-locked host memory from <c>cuMemAllocHost</c> (equal to it under unified addressing).</summary>
    [LibraryImport(Library, EntryPoint = "cuMemHostGetDevicePointer_v2")]
    internal static partial CudaResult MemHostGetDevicePointer(out ulong devicePointer, IntPtr hostPointer, uint flags);

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="address"/> once the stream's earlier work has finished, after a
    /// fence over that work's writes (flags 0). The <c>_v2</c> entry point is the one cuda.h names since CUDA 12.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "cuStreamWriteValue32_v2")]
    internal static partial CudaResult StreamWriteValue32(IntPtr stream, ulong address, uint value, uint flags);

    /// <summary>Holds the stream until the 32-bit word at <paramref name="address"/> is at least <paramref name="value"/> (flags 0: GEQ); the GPU tests gate a stream with it.</summary>
    [LibraryImport(Library, EntryPoint = "cuStreamWaitValue32_v2")]
    internal static partial CudaResult StreamWaitValue32(IntPtr stream, ulong address, uint value, uint flags);

    [LibraryImport(Library, EntryPoint = "cuMemGetInfo_v2")]
    internal static partial CudaResult MemGetInfo(out nuint free, out nuint total);

    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    internal static partial CudaResult MemcpyHtoDAsync(ulong destination, void* source, nuint bytes, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    internal static partial CudaResult MemcpyDtoHAsync(void* destination, ulong source, nuint bytes, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    internal static partial CudaResult MemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuMemsetD8Async")]
    internal static partial CudaResult MemsetD8Async(ulong destination, byte value, nuint count, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuMemsetD32Async")]
    internal static partial CudaResult MemsetD32Async(ulong destination, uint value, nuint count, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cuModuleLoadData")]
    internal static partial CudaResult ModuleLoadData(out IntPtr module, void* image);

    [LibraryImport(Library, EntryPoint = "cuModuleUnload")]
    internal static partial CudaResult ModuleUnload(IntPtr module);

    [LibraryImport(Library, EntryPoint = "cuModuleGetFunction", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial CudaResult ModuleGetFunction(out IntPtr function, IntPtr module, string name);

    [LibraryImport(Library, EntryPoint = "cuFuncSetAttribute")]
    internal static partial CudaResult FuncSetAttribute(IntPtr function, CudaFunctionAttribute attribute, int value);

    /// <summary>A compiled function's resource use (registers, static shared memory, local memory): the compiler's resource report.</summary>
    [LibraryImport(Library, EntryPoint = "cuFuncGetAttribute")]
    internal static partial CudaResult FuncGetAttribute(out int value, CudaFunctionAttribute attribute, IntPtr function);

    [LibraryImport(Library, EntryPoint = "cuLaunchKernel")]
    internal static partial CudaResult LaunchKernel(IntPtr function,
        uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);

    [LibraryImport(Library, EntryPoint = "cuOccupancyMaxActiveBlocksPerMultiprocessor")]
    internal static partial CudaResult OccupancyMaxActiveBlocksPerMultiprocessor(out int blocks, IntPtr function, int blockSize, nuint dynamicSharedMemBytes);

    [LibraryImport(Library, EntryPoint = "cuGetErrorName")]
    internal static partial CudaResult GetErrorName(CudaResult error, out IntPtr name);

    [LibraryImport(Library, EntryPoint = "cuGetErrorString")]
    internal static partial CudaResult GetErrorString(CudaResult error, out IntPtr text);
}
