using System;
using System.Collections.Generic;

namespace Ep.Engines.Staged;

/// <summary>
/// A layer instance on a simulated rank: routing summaries are read back and gathered on the host, and every
/// transfer becomes copies into the peers' receive buffers, whose addresses the ranks exchange once at creation.
/// </summary>
internal sealed class SimulatedStagedLayerTransport : IStagedLayerTransport
{
    private readonly SimulatedStagedTransport _transport;
    private readonly EpLayerSpec _spec;
    private readonly StagedLayerBuffers _buffers;
    private readonly ulong[][] _peerBuffers;

    /// <summary>Collective: learns every peer's receive addresses.</summary>
    public SimulatedStagedLayerTransport(SimulatedStagedTransport transport, EpLayerSpec spec, StagedLayerBuffers buffers)
    {
        _transport = transport;
        _spec = spec;
        _buffers = buffers;
        _peerBuffers = transport.World.AllGather(transport.Rank, ReceiveAddresses(buffers), "StagedLayer buffers");
    }

    private int Ranks => _transport.World.Ranks;

    public StagedRouteSummary[] GatherRouting(ulong record, Func<long, StagedRoutingError> describeError, string operation)
    {
        long[] words = StagedMemory.Download<long>(record, _buffers.RouteRecords.Words, _transport.Stream);
        long key = StagedRouteRecord.ErrorKey(words);
        StagedRoutingError? error = key == StagedRouteRecord.NoError ? null : describeError(key);
        StagedRouteSummary summary = StagedRouteRecord.Read(words, Ranks, _spec.Experts, error);
        return _transport.World.AllGather(_transport.Rank, summary, operation);
    }

    public bool[] AllGather(bool value, string operation) => _transport.World.AllGather(_transport.Rank, value, operation);

    public void Exchange(string operation, IReadOnlyList<StagedTransfer> transfers)
    {
        var copies = new List<StagedCopy>(transfers.Count * Ranks);
        foreach (StagedTransfer transfer in transfers)
        {
            for (int peer = 0; peer < Ranks; peer++)
            {
                StagedPeerSegment segment = transfer.Peers[peer];
                if (segment.SendUnits > 0)
                {
                    ulong destination = _peerBuffers[peer][(int)transfer.Target] + (ulong)(segment.LandingOffset * transfer.UnitBytes);
                    copies.Add(new StagedCopy(destination, transfer.Source + (ulong)(segment.SendOffset * transfer.UnitBytes), segment.SendUnits * transfer.UnitBytes));
                }
            }
        }

        _transport.Push(operation, copies);
    }

    public void Dispose()
    {
        // The buffers belong to the layer; the events to the engine's transport.
    }

    private static ulong[] ReceiveAddresses(StagedLayerBuffers buffers)
    {
        var addresses = new ulong[Enum.GetValues<StagedReceiveBuffer>().Length];
        foreach (StagedReceiveBuffer target in Enum.GetValues<StagedReceiveBuffer>())
        {
            addresses[(int)target] = buffers.ReceiveAddress(target);
        }

        return addresses;
    }
}
