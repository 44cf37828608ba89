using System;
using System.Collections.Generic;
using Ep.Interop.Nccl;

namespace Ep.Engines.Staged;

/// <summary>
/// A layer instance on a rank of an NCCL world. Routing: one <c>ncclAllGather</c> of every rank's device record into
/// <see cref="_gathered"/>, then one read-back (the step's one host wait). Exchange: one NCCL group per operation with,
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
    // A routing error's details, gathered only when some rank has one: token, slot, value, first slot.
    private const int ErrorWords = 4;

    private readonly NcclStagedTransport _transport;
    private readonly EpLayerSpec _spec;
    private readonly StagedLayerBuffers _buffers;
    private readonly int _recordWords;
    private readonly DeviceTensor<long> _contribution;
    private readonly DeviceTensor<long> _gathered;

    public NcclStagedLayerTransport(NcclStagedTransport transport, EpLayerSpec spec, StagedLayerBuffers buffers)
    {
        _transport = transport;
        _spec = spec;
        _buffers = buffers;
        _recordWords = buffers.RouteRecord.Rows;
        EpDevice device = buffers.RouteRecord.Device;
        _contribution = DeviceTensor<long>.Allocate(device, ErrorWords);
        _gathered = DeviceTensor<long>.Allocate(device, checked(Ranks * Math.Max(_recordWords, ErrorWords)));
    }

    private int Ranks => _transport.Ranks;

    public StagedRouteSummary[] GatherRouting(Func<long, StagedRoutingError> describeError, string operation)
    {
        long[] records = Gather(StagedMemory.Address(_buffers.RouteRecord), _recordWords);
        var summaries = new StagedRouteSummary[Ranks];
        bool anyError = false;
        for (int r = 0; r < Ranks; r++)
        {
            ReadOnlySpan<long> record = records.AsSpan(r * _recordWords, _recordWords);
            anyError |= StagedRouteRecord.ErrorKey(record) != StagedRouteRecord.NoError;
            summaries[r] = StagedRouteRecord.Read(record, Ranks, _spec.Experts, error: null);
        }

        // Every rank sees the same keys, so all of them take this second round, or none does.
        return anyError ? WithErrors(summaries, records, describeError) : summaries;
    }

    public bool[] AllGather(bool value, string operation)
    {
        long[] values = GatherHost([value ? 1L : 0L]);
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
        _contribution.Dispose();
        _gathered.Dispose();
    }

    /// <summary>Second round, only when some rank's key names an error: every rank contributes its error's details (zeros if none).</summary>
    private StagedRouteSummary[] WithErrors(StagedRouteSummary[] summaries, long[] records, Func<long, StagedRoutingError> describeError)
    {
        long myKey = StagedRouteRecord.ErrorKey(records.AsSpan(_transport.Rank * _recordWords, _recordWords));
        var mine = new long[ErrorWords];
        if (myKey != StagedRouteRecord.NoError)
        {
            StagedRoutingError error = describeError(myKey);
            mine = [error.Token, error.Slot, error.Value, error.FirstSlot];
        }

        long[] details = GatherHost(mine);
        for (int r = 0; r < Ranks; r++)
        {
            if (StagedRouteRecord.ErrorKey(records.AsSpan(r * _recordWords, _recordWords)) != StagedRouteRecord.NoError)
            {
                ReadOnlySpan<long> d = details.AsSpan(r * ErrorWords, ErrorWords);
                summaries[r] = summaries[r] with { Error = new StagedRoutingError((int)d[0], (int)d[1], d[2], (int)d[3]) };
            }
        }

        return summaries;
    }

    /// <summary>Gathers host values (at most <see cref="ErrorWords"/> per rank) through the device.</summary>
    private long[] GatherHost(long[] values)
    {
        StagedMemory.Upload<long>(values, StagedMemory.Address(_contribution), _transport.Stream);
        return Gather(StagedMemory.Address(_contribution), values.Length);
    }

    /// <summary>AllGathers <paramref name="words"/> int64 words per rank from device address <paramref name="source"/> and reads them back (one host wait).</summary>
    private long[] Gather(ulong source, int words)
    {
        _transport.Check(Nccl.AllGather(source, StagedMemory.Address(_gathered), (nuint)words, NcclDataType.Int64, _transport.Communicator,
            _transport.Stream.DangerousGetHandle()));
        return StagedMemory.Download<long>(StagedMemory.Address(_gathered), Ranks * words, _transport.Stream);
    }
}
