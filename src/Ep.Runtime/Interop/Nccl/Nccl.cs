using System;
using System.Runtime.InteropServices;

namespace Ep.Interop.Nccl;

/// <summary>NCCL core: communicators, grouped point-to-point, the collectives Ep uses, and symmetric memory windows.</summary>
internal static unsafe partial class Nccl
{
    private const string Library = "nccl";

    /// <summary><c>NCCL_WIN_COLL_SYMMETRIC</c>: a window registered collectively at the same offset on every rank.</summary>
    internal const int WindowCollectiveSymmetric = 0x01;

    [LibraryImport(Library, EntryPoint = "ncclGetVersion")]
    internal static partial NcclResult GetVersion(out int version);

    [LibraryImport(Library, EntryPoint = "ncclGetUniqueId")]
    internal static partial NcclResult GetUniqueId(out NcclUniqueId id);

    [LibraryImport(Library, EntryPoint = "ncclCommInitRank")]
    internal static partial NcclResult CommInitRank(out IntPtr communicator, int ranks, NcclUniqueId id, int rank);

    [LibraryImport(Library, EntryPoint = "ncclCommDestroy")]
    internal static partial NcclResult CommDestroy(IntPtr communicator);

    [LibraryImport(Library, EntryPoint = "ncclCommAbort")]
    internal static partial NcclResult CommAbort(IntPtr communicator);

    [LibraryImport(Library, EntryPoint = "ncclCommCount")]
    internal static partial NcclResult CommCount(IntPtr communicator, out int count);

    [LibraryImport(Library, EntryPoint = "ncclCommUserRank")]
    internal static partial NcclResult CommUserRank(IntPtr communicator, out int rank);

    [LibraryImport(Library, EntryPoint = "ncclCommGetAsyncError")]
    internal static partial NcclResult CommGetAsyncError(IntPtr communicator, out NcclResult asyncError);

    [LibraryImport(Library, EntryPoint = "ncclGroupStart")]
    internal static partial NcclResult GroupStart();

    [LibraryImport(Library, EntryPoint = "ncclGroupEnd")]
    internal static partial NcclResult GroupEnd();

    [LibraryImport(Library, EntryPoint = "ncclSend")]
    internal static partial NcclResult Send(ulong sendBuffer, nuint count, NcclDataType type, int peer, IntPtr communicator, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclRecv")]
    internal static partial NcclResult Recv(ulong receiveBuffer, nuint count, NcclDataType type, int peer, IntPtr communicator, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclAllGather")]
    internal static partial NcclResult AllGather(ulong sendBuffer, ulong receiveBuffer, nuint sendCount, NcclDataType type, IntPtr communicator, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclAllReduce")]
    internal static partial NcclResult AllReduce(ulong sendBuffer, ulong receiveBuffer, nuint count, NcclDataType type, NcclReduceOp op, IntPtr communicator, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "ncclGetErrorString")]
    internal static partial IntPtr GetErrorString(NcclResult result);

    [LibraryImport(Library, EntryPoint = "ncclGetLastError")]
    internal static partial IntPtr GetLastError(IntPtr communicator);

    [LibraryImport(Library, EntryPoint = "ncclMemAlloc")]
    internal static partial NcclResult MemAlloc(out ulong pointer, nuint bytes);

    [LibraryImport(Library, EntryPoint = "ncclMemFree")]
    internal static partial NcclResult MemFree(ulong pointer);

    /// <summary>Only in NCCL ≥ 2.27: check <see cref="HasWindows"/> first.</summary>
    [LibraryImport(Library, EntryPoint = "ncclCommWindowRegister")]
    internal static partial NcclResult CommWindowRegister(IntPtr communicator, ulong buffer, nuint bytes, out IntPtr window, int flags);

    /// <summary>Only in NCCL ≥ 2.27: check <see cref="HasWindows"/> first.</summary>
    [LibraryImport(Library, EntryPoint = "ncclCommWindowDeregister")]
    internal static partial NcclResult CommWindowDeregister(IntPtr communicator, IntPtr window);

    /// <summary>Whether the loaded libnccl exports the window functions (absent before 2.27).</summary>
    internal static bool HasWindows =>
        NativeLibrary.TryGetExport(NativeLibraryLoader.Load(NativeLibraryCandidates.Nccl), "ncclCommWindowRegister", out _);
}

/// <summary><c>ncclUniqueId</c>: 128 opaque bytes that rank 0 creates and every rank passes to ncclCommInitRank.</summary>
[StructLayout(LayoutKind.Sequential, Size = Bytes)]
internal unsafe struct NcclUniqueId
{
    public const int Bytes = 128;

    public fixed byte Internal[Bytes];
}

/// <summary><c>ncclResult_t</c>.</summary>
internal enum NcclResult
{
    Success = 0,
    UnhandledCudaError = 1,
    SystemError = 2,
    InternalError = 3,
    InvalidArgument = 4,
    InvalidUsage = 5,
    RemoteError = 6,
    InProgress = 7,
}

/// <summary><c>ncclDataType_t</c>.</summary>
internal enum NcclDataType
{
    Int8 = 0,
    UInt8 = 1,
    Int32 = 2,
    UInt32 = 3,
    Int64 = 4,
    UInt64 = 5,
    Float16 = 6,
    Float32 = 7,
    Float64 = 8,
    BFloat16 = 9,
}

/// <summary><c>ncclRedOp_t</c>.</summary>
internal enum NcclReduceOp
{
    Sum = 0,
    Product = 1,
    Max = 2,
    Min = 3,
    Average = 4,
}

/// <summary>An NCCL call failed; the message has NCCL's error string and, when known, its last-error detail.</summary>
public sealed class NcclException : Exception
{
    internal NcclException(int status, string message)
        : base(message) => Status = status;

    /// <summary>The <c>ncclResult_t</c>.</summary>
    public int Status { get; }

    internal static void ThrowIfFailed(NcclResult status, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != NcclResult.Success)
        {
            string text = Marshal.PtrToStringUTF8(Nccl.GetErrorString(status)) ?? status.ToString();
            string detail = Marshal.PtrToStringUTF8(Nccl.GetLastError(IntPtr.Zero)) ?? string.Empty;
            throw new NcclException((int)status, $"{call} failed with {text} ({(int)status}){(detail.Length > 0 ? ": " + detail : ".")}");
        }
    }
}
