using System;
using System.Runtime.InteropServices;
using Ep.Interop.Nccl;

namespace Ep.Interop.NcclEp;

/// <summary>
/// Every function of <c>nccl_ep.h</c> v0.1, by its exact symbol. Raw: callers validate first, because NCCL EP asserts,
/// throws C++ exceptions through C, or exits on most misuse instead of returning an error (reference notes, section 0).
/// </summary>
internal static unsafe partial class NcclEpNative
{
    private const string Library = "nccl_ep";

    [LibraryImport(Library, EntryPoint = "ncclEpGetVersion")]
    internal static partial NcclResult GetVersion(out int version);

    [LibraryImport(Library, EntryPoint = "ncclEpTensorAlloc")]
    internal static partial NcclResult TensorAlloc(out NcclEpTensor* tensor, uint dimensions, int dataType, nuint* sizes, NcclEpTensorAllocConfig* config);

    [LibraryImport(Library, EntryPoint = "ncclEpTensorDestroy")]
    internal static partial NcclResult TensorDestroy(NcclEpTensor* tensor);

    [LibraryImport(Library, EntryPoint = "ncclEpCreateGroup")]
    internal static partial NcclResult CreateGroup(out IntPtr group, IntPtr communicator, NcclEpGroupConfig* config);

    [LibraryImport(Library, EntryPoint = "ncclEpGroupDestroy")]
    internal static partial NcclResult GroupDestroy(IntPtr group);

    [LibraryImport(Library, EntryPoint = "ncclEpHandleMemSize")]
    internal static partial NcclResult HandleMemSize(IntPtr group, NcclEpLayout layout, NcclEpHandleConfig* config, out nuint size, int topK);

    [LibraryImport(Library, EntryPoint = "ncclEpInitHandle")]
    internal static partial NcclResult InitHandle(out IntPtr handle, IntPtr group, NcclEpLayout layout, NcclEpHandleConfig* config, int topK, NcclEpTensor* handleMemory);

    [LibraryImport(Library, EntryPoint = "ncclEpUpdateHandle")]
    internal static partial NcclResult UpdateHandle(IntPtr handle, NcclEpTensor* topkIdx, NcclEpLayoutInfo* layoutInfo, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpCreateHandle")]
    internal static partial NcclResult CreateHandle(out IntPtr handle, IntPtr group, NcclEpLayout layout, NcclEpTensor* topkIdx, NcclEpLayoutInfo* layoutInfo, NcclEpHandleConfig* config, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpHandleDestroy")]
    internal static partial NcclResult HandleDestroy(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "ncclEpDispatch")]
    internal static partial NcclResult Dispatch(IntPtr handle, NcclEpDispatchInputs* inputs, NcclEpDispatchOutputs* outputs, NcclEpLayoutInfo* layoutInfo, NcclEpDispatchConfig* config, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpCombine")]
    internal static partial NcclResult Combine(IntPtr handle, NcclEpCombineInputs* inputs, NcclEpCombineOutputs* outputs, NcclEpCombineConfig* config, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpComplete")]
    internal static partial NcclResult Complete(IntPtr handle, NcclEpCompleteConfig* config, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpMaskQuery")]
    internal static partial NcclResult MaskQuery(IntPtr group, ulong deviceMaskStatus, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpMaskUpdate")]
    internal static partial NcclResult MaskUpdate(IntPtr group, int* hostMask, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpMaskClean")]
    internal static partial NcclResult MaskClean(IntPtr group, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclEpGetAsyncError")]
    internal static partial NcclResult GetAsyncError(IntPtr group, out int error);

    [LibraryImport(Library, EntryPoint = "ncclEpErrorClear")]
    internal static partial NcclResult ErrorClear(IntPtr group);
}
