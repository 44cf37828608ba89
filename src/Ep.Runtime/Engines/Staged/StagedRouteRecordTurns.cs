using System;

namespace Ep.Engines.Staged;

/// <summary>
/// A layer's two routing records (<see cref="StagedRouteRecord"/>), used in turn. <c>ep_route_record</c>'s blocks add
/// into the record with atomics, so it must be zero when the launch starts; each launch therefore zeroes the other
/// record, whose read-back is earlier on the same stream, for the launch after it. That costs no memset and no pass
/// after the kernel's last block, which is what a single record would need.
/// </summary>
internal sealed class StagedRouteRecordTurns
{
    private readonly ulong _first;
    private readonly ulong _recordBytes;
    private int _turn;

    /// <param name="records">Zeroed device memory of <see cref="StagedRouteRecord.AllocatedWords"/> words.</param>
    /// <param name="ranks">R, for a record's size.</param>
    /// <param name="experts">E, for a record's size.</param>
    public StagedRouteRecordTurns(DeviceTensor<long> records, int ranks, int experts)
    {
        ArgumentNullException.ThrowIfNull(records);
        Words = StagedRouteRecord.Words(ranks, experts);
        int needed = StagedRouteRecord.AllocatedWords(ranks, experts);
        if (records.Length < needed)
        {
            throw new ArgumentException($"Expected at least {needed} words (two routing records), got {records.Length}.", nameof(records));
        }

        _first = StagedMemory.Address(records);
        _recordBytes = (ulong)Words * sizeof(long);
    }

    /// <summary>Words of one record.</summary>
    public int Words { get; }

    /// <summary>The record the next launch adds into (zero), and the one it zeroes for the launch after it.</summary>
    public (ulong Record, ulong Next) Current => (At(_turn), At(1 - _turn));

    /// <summary>Called once the launch that used <see cref="Current"/> is on the stream: the next one takes the other record.</summary>
    public void Advance() => _turn = 1 - _turn;

    private ulong At(int turn) => _first + (ulong)turn * _recordBytes;
}
