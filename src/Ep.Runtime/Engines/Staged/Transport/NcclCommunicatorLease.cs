using System;
using System.Threading;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// A communicator the Staged engine uses, owned or borrowed, and how it ends: a healthy owned communicator is
/// destroyed (<c>ncclCommDestroy</c>, which first completes the work already issued); after a failure an owned one is
/// aborted (<c>ncclCommAbort</c>, which also stops transfers stuck on a peer that will never answer). A borrowed
/// communicator is never destroyed or aborted here: its owner does that, and after a failure must abort it.
/// </summary>
internal sealed class NcclCommunicatorLease : IDisposable
{
    private IntPtr _handle;
    private int _failed;

    public NcclCommunicatorLease(IntPtr handle, bool owned)
    {
        _handle = handle;
        Owned = owned;
    }

    /// <summary>Whether disposal ends the communicator.</summary>
    public bool Owned { get; }

    /// <summary>The <c>ncclComm_t</c>; throws once the lease has ended.</summary>
    public IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(NcclCommunicatorLease),
        "The NCCL communicator of this Staged engine has been destroyed or aborted.");

    /// <summary>Whether a rank-local failure may have left communication half-done.</summary>
    public bool Failed => Volatile.Read(ref _failed) != 0;

    public void MarkFailed() => Volatile.Write(ref _failed, 1);

    /// <summary>After a failure: aborts an owned communicator now, so nothing waits for a transfer that cannot finish.</summary>
    public void AbortIfFailed()
    {
        if (Failed)
        {
            End();
        }
    }

    public void Dispose() => End();

    private void End()
    {
        IntPtr handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle == IntPtr.Zero || !Owned)
        {
            return;
        }

        // Disposal must not throw over an earlier error, so the status is not checked: an abort is best effort by nature.
        _ = Failed ? Nccl.CommAbort(handle) : Nccl.CommDestroy(handle);
    }
}
