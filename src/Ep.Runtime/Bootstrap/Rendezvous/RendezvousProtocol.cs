using System;
using System.Buffers.Binary;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Ep.Bootstrap.Rendezvous;

/// <summary>
/// The wire format between a peer and rank 0. The peer sends a 12-byte hello: magic "EPID", its rank, the world size it
/// was launched with (little-endian int32s). Rank 0 answers one status byte: 0 then the id bytes, or 1 then a
/// length-prefixed UTF-8 reason (duplicate rank, rank out of range, world size that disagrees).
/// </summary>
internal static class RendezvousProtocol
{
    public const int HelloBytes = 12;
    private const uint Magic = 0x44495045; // "EPID" read as a little-endian uint32
    private const byte Accepted = 0;
    private const byte Rejected = 1;
    private const int MaxReasonBytes = 4096;

    public readonly record struct Hello(bool MagicMatches, int Rank, int WorldSize);

    public static async Task SendHelloAsync(NetworkStream stream, int rank, int worldSize, CancellationToken cancel)
    {
        byte[] hello = new byte[HelloBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(hello.AsSpan(0), Magic);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(4), rank);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(8), worldSize);
        await stream.WriteAsync(hello, cancel).ConfigureAwait(false);
    }

    public static async Task<Hello> ReadHelloAsync(NetworkStream stream, CancellationToken cancel)
    {
        byte[] hello = new byte[HelloBytes];
        await stream.ReadExactlyAsync(hello, cancel).ConfigureAwait(false);
        return new Hello(
            BinaryPrimitives.ReadUInt32LittleEndian(hello) == Magic,
            BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(4)),
            BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(8)));
    }

    public static async Task SendIdAsync(NetworkStream stream, byte[] id, CancellationToken cancel)
    {
        byte[] reply = new byte[1 + id.Length];
        reply[0] = Accepted;
        id.CopyTo(reply, 1);
        await stream.WriteAsync(reply, cancel).ConfigureAwait(false);
    }

    public static async Task SendRejectionAsync(NetworkStream stream, string reason, CancellationToken cancel)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason);
        byte[] reply = new byte[5 + Math.Min(text.Length, MaxReasonBytes)];
        reply[0] = Rejected;
        BinaryPrimitives.WriteInt32LittleEndian(reply.AsSpan(1), reply.Length - 5);
        text.AsSpan(0, reply.Length - 5).CopyTo(reply.AsSpan(5));
        await stream.WriteAsync(reply, cancel).ConfigureAwait(false);
    }

    /// <summary>Reads rank 0's answer: the id, or the reason it refused this peer.</summary>
    public static async Task<(byte[]? Id, string? Rejection)> ReadReplyAsync(NetworkStream stream, int idBytes, CancellationToken cancel)
    {
        byte[] status = new byte[1];
        await stream.ReadExactlyAsync(status, cancel).ConfigureAwait(false);
        if (status[0] == Accepted)
        {
            byte[] id = new byte[idBytes];
            await stream.ReadExactlyAsync(id, cancel).ConfigureAwait(false);
            return (id, null);
        }

        byte[] lengthBytes = new byte[4];
        await stream.ReadExactlyAsync(lengthBytes, cancel).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
        if (status[0] != Rejected || length < 0 || length > MaxReasonBytes)
        {
            throw new InvalidDataException("rank 0 answered with a reply that is not Ep's rendezvous protocol");
        }

        byte[] reason = new byte[length];
        await stream.ReadExactlyAsync(reason, cancel).ConfigureAwait(false);
        return (null, Encoding.UTF8.GetString(reason));
    }
}
