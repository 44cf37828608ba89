using System;

namespace Ep.Engines.Staged;

/// <summary>
/// A layer's two routing records (<see cref="StagedRouteRecord"/>), used in turn. <c>ep_route_record</c>'s blocks add
/// into the record with atomics, so it must be zero when the launch starts; each launch therefore zeroes the other
/// record, whose read-back is earlier on the same stream, for the launch after it. That costs no memset and no pass
/// after the kernel's last block, which is what a single record would need.
/// </summary>
internal sealed class StagedRouteRecordTurns : IDisposable
{
    private readonly DeviceTensor<long> _records;
    private readonly ulong _first;
    private int _turn;

    /// <summary>Allocates the two records on <paramref name="device"/>, zeroed, for R = <paramref name="ranks"/> and E = <paramref name="experts"/>.</summary>
    public StagedRouteRecordTurns(EpDevice device, int ranks, int experts)
    {
        Words = StagedRouteRecord.Words(ranks, experts);
        _records = DeviceTensor<long>.Allocate(device, StagedRouteRecord.AllocatedWords(ranks, experts));
        _first = StagedMemory.Address(_records);
    }

    /// <summary>Words of one record.</summary>
    public int Words { get; }

    /// <summary>
    /// For the launch about to be enqueued: the record it adds into (zero) and the one it zeroes for the launch after it.
    /// The next call hands them out the other way round.
    /// </summary>
    public (ulong Record, ulong Next) Take()
    {
        (ulong record, ulong next) = (At(_turn), At(1 - _turn));
        _turn = 1 - _turn;
        return (record, next);
    }

    public void Dispose() => _records.Dispose();

    private ulong At(int turn) => _first + (ulong)turn * (ulong)Words * sizeof(long);
}
