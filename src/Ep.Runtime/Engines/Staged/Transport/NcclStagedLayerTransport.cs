using System;
using System.Collections.Generic;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// A layer instance on a rank of an NCCL world. Routing: <see cref="NcclRoutingGather"/> (one <c>ncclAllGather</c> of
/// every rank's device record, then one read-back: the step's one host wait). Exchange: one NCCL group per operation with,
/// for every transfer and every peer, <c>ncclSend</c> of this rank's segment for the peer and <c>ncclRecv</c> of the
/// peer's segment at its offset in this rank's receive buffer; zero-byte segments are skipped (both sides skip the
/// same ones: they read the same plan).
/// </summary>
/// <remarks>
/// This rank's own segment goes through NCCL too (send/recv to self, supported inside a group), not a separate device
/// copy: every segment then takes one code path, so a one-rank world on one GPU (the device machine's test) runs the
/// same send/recv bookkeeping as a world of many processes, and the self segment is only 1/R of the bytes.
/// Every call is issued on the rank's stream, so kernels before it finish before data leaves and kernels after it see
/// what arrived, with no host wait.
/// </remarks>
internal sealed class NcclStagedLayerTransport : IStagedLayerTransport
{
    private readonly NcclStagedTransport _transport;
    private readonly StagedLayerBuffers _buffers;
    private readonly NcclRoutingGather _routing;

    public NcclStagedLayerTransport(NcclStagedTransport transport, EpLayerSpec spec, StagedLayerBuffers buffers)
    {
        _transport = transport;
        _buffers = buffers;
        _routing = new NcclRoutingGather(buffers.Device, transport.Rank, transport.Ranks, spec.Experts, transport.Stream,
            () => transport.Communicator, transport.MarkFailed, startsAhead: false);
    }

    private int Ranks => _transport.Ranks;

    public StagedRouteSummary[] GatherRouting(ulong record, Func<long, StagedRoutingError> describeError, string operation) =>
        _routing.Gather(record, describeError);

    public bool[] AllGather(bool value, string operation)
    {
        long[] values = _routing.GatherHost([value ? 1L : 0L]);
        return Array.ConvertAll(values, v => v != 0);
    }

    public void Exchange(string operation, IReadOnlyList<StagedTransfer> transfers)
    {
        IntPtr communicator = _transport.Communicator, stream = _transport.Stream.DangerousGetHandle();
        _transport.Check(Nccl.GroupStart());
        try
        {
            foreach (StagedTransfer transfer in transfers)
            {
                ulong receive = _buffers.ReceiveAddress(transfer.Target);
                for (int peer = 0; peer < Ranks; peer++)
                {
                    StagedPeerSegment segment = transfer.Peers[peer];
                    if (segment.SendUnits > 0)
                    {
                        _transport.Check(Nccl.Send(transfer.Source + (ulong)(segment.SendOffset * transfer.UnitBytes),
                            (nuint)(segment.SendUnits * transfer.UnitBytes), NcclDataType.UInt8, peer, communicator, stream));
                    }

                    if (segment.ReceiveUnits > 0)
                    {
                        _transport.Check(Nccl.Recv(receive + (ulong)(segment.ReceiveOffset * transfer.UnitBytes),
                            (nuint)(segment.ReceiveUnits * transfer.UnitBytes), NcclDataType.UInt8, peer, communicator, stream));
                    }
                }
            }
        }
        catch
        {
            // Closes the group even when a call in it failed, so NCCL's group depth stays balanced; the first error wins.
            _ = Nccl.GroupEnd();
            throw;
        }

        _transport.Check(Nccl.GroupEnd());
    }

    public void Dispose()
    {
        // After a failure the communicator is aborted before any memory a stuck transfer names is freed.
        _transport.AbortIfFailed();
        _routing.Dispose();
    }
}
