using System;
using Ep.Interop.Nccl;

namespace Ep.Interop.NcclEp;

/// <summary>
/// An <c>ncclEpGroup_t</c>. Not a SafeHandle on purpose: <c>ncclEpGroupDestroy</c> is collective (LowLatency runs an
/// all-reduce barrier and deregisters windows), so running it from a finalizer, on one rank only, would hang. It is
/// destroyed only by <see cref="Dispose"/>, which every rank calls in the same order, before the communicator.
/// </summary>
internal sealed unsafe class NcclEpGroupHandle : IDisposable
{
    private IntPtr _group;

    private NcclEpGroupHandle(IntPtr group) => _group = group;

    public IntPtr Value => _group != IntPtr.Zero ? _group : throw new ObjectDisposedException(nameof(NcclEpGroupHandle));

    /// <summary>Collective and blocking: every rank of <paramref name="communicator"/> creates its group with the same settings.</summary>
    public static NcclEpGroupHandle Create(IntPtr communicator, in NcclEpGroupConfig config)
    {
        NcclEpGroupConfig copy = config;
        NcclException.ThrowIfFailed(NcclEpNative.CreateGroup(out IntPtr group, communicator, &copy));
        return new NcclEpGroupHandle(group);
    }

    public void Dispose()
    {
        if (_group != IntPtr.Zero)
        {
            IntPtr group = _group;
            _group = IntPtr.Zero;
            NcclException.ThrowIfFailed(NcclEpNative.GroupDestroy(group));
        }
    }
}

/// <summary>An <c>ncclEpHandle_t</c>; its destroy is local, so a SafeHandle may release it.</summary>
internal sealed class NcclEpHandle : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    public NcclEpHandle()
        : base(ownsHandle: true)
    {
    }

    public static NcclEpHandle FromRaw(IntPtr handle)
    {
        var owned = new NcclEpHandle();
        owned.SetHandle(handle);
        return owned;
    }

    protected override bool ReleaseHandle() => NcclEpNative.HandleDestroy(handle) == NcclResult.Success;
}
