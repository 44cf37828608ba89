using System;
using System.Runtime.InteropServices;
using Ep.Interop.Nccl;

namespace Ep.Bootstrap;

/// <summary>Converts <c>ncclUniqueId</c> to and from the opaque bytes that the rendezvous carries.</summary>
internal static class NcclUniqueIdBytes
{
    public static byte[] ToArray(NcclUniqueId id) => MemoryMarshal.AsBytes(new ReadOnlySpan<NcclUniqueId>(ref id)).ToArray();

    public static NcclUniqueId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != NcclUniqueId.Bytes)
        {
            throw new ArgumentException($"An ncclUniqueId has {NcclUniqueId.Bytes} bytes; got {bytes.Length}.", nameof(bytes));
        }

        return MemoryMarshal.Read<NcclUniqueId>(bytes);
    }
}
