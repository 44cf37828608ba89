using System;
using Microsoft.Win32.SafeHandles;

namespace Ep.Interop.Nccl;

/// <summary>
/// An <c>ncclComm_t</c> this process created and must release: destroyed normally, aborted (<c>ncclCommAbort</c>)
/// after a failure, because destroying waits for peers' outstanding work that may never come.
/// </summary>
internal sealed class NcclCommunicatorHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private volatile bool _abortOnRelease;

    private NcclCommunicatorHandle(IntPtr communicator)
        : base(ownsHandle: true) => SetHandle(communicator);

    /// <summary><c>ncclCommInitRank</c>: collective, every rank of the world calls it with the same id.</summary>
    public static NcclCommunicatorHandle InitRank(int worldSize, NcclUniqueId id, int rank)
    {
        NcclException.ThrowIfFailed(Nccl.CommInitRank(out IntPtr communicator, worldSize, id, rank));
        return new NcclCommunicatorHandle(communicator);
    }

    /// <summary>Releases with <c>ncclCommAbort</c> instead of <c>ncclCommDestroy</c>.</summary>
    public void AbortOnRelease() => _abortOnRelease = true;

    /// <summary>True when NCCL reports an asynchronous error on this communicator (then it must be aborted).</summary>
    public bool HasAsyncError()
    {
        if (IsInvalid || IsClosed)
        {
            return false;
        }

        NcclResult query = Nccl.CommGetAsyncError(handle, out NcclResult asyncError);
        return query != NcclResult.Success || (asyncError != NcclResult.Success && asyncError != NcclResult.InProgress);
    }

    protected override bool ReleaseHandle()
    {
        if (_abortOnRelease)
        {
            return Nccl.CommAbort(handle) == NcclResult.Success;
        }

        // A destroy that fails leaves the communicator half torn down: abort frees what is left.
        return Nccl.CommDestroy(handle) == NcclResult.Success || Nccl.CommAbort(handle) == NcclResult.Success;
    }
}
