using System;
using System.Diagnostics;
using Ep.Interop;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The benchmark's view of where Ep's managed code in one Dispatch goes: for each part of <see cref="NcclEpLayer"/>'s
/// Dispatch, its wall time, the time inside the native calls it made (<see cref="NativeCallClock"/>), how many of them
/// were timed and how many clock reads the split made, so that the managed time per part is wall − native − the
/// clock's own cost (per timed call and per read). The parts: the checks of every tensor NCCL EP will see; the routing
/// agreement; everything up to and including <c>ncclEpDispatch</c> (the handle, the source copies, the received rows'
/// upkeep, the descriptors); the layout. Records only while the clock is on (the benchmark's host pass): in normal use
/// each boundary costs one flag test.
/// </summary>
internal sealed class NcclEpDispatchSegments
{
    /// <summary>The parts, in order.</summary>
    public const int Count = 4;

    private readonly long[] _wall = new long[Count];
    private readonly long[] _native = new long[Count];
    private readonly long[] _scopes = new long[Count];
    private readonly long[] _reads = new long[Count];
    private long _wallAt;
    private long _nativeAt;
    private long _scopesAt;
    private long _readsAt;

    /// <summary>Starts a Dispatch: every part's figures back to zero (a part the Dispatch skips stays zero).</summary>
    public void Start()
    {
        if (!NativeCallClock.Enabled)
        {
            return;
        }

        Array.Clear(_wall);
        Array.Clear(_native);
        Array.Clear(_scopes);
        Array.Clear(_reads);
        _wallAt = NativeCallClock.Read();
        (_nativeAt, _scopesAt, _readsAt) = (NativeCallClock.ThreadTicks, NativeCallClock.ThreadScopes, NativeCallClock.ThreadReads);
    }

    /// <summary>Ends part <paramref name="part"/> (parts in between, skipped, stay zero); the next part starts here.</summary>
    public void End(int part)
    {
        if (!NativeCallClock.Enabled)
        {
            return;
        }

        long wall = NativeCallClock.Read();
        (long native, long scopes, long reads) = (NativeCallClock.ThreadTicks, NativeCallClock.ThreadScopes, NativeCallClock.ThreadReads);
        _wall[part] = wall - _wallAt;
        _native[part] = native - _nativeAt;
        _scopes[part] = scopes - _scopesAt;
        _reads[part] = reads - _readsAt;
        (_wallAt, _nativeAt, _scopesAt, _readsAt) = (wall, native, scopes, reads);
    }

    /// <summary>Part <paramref name="part"/>'s wall time in the latest Dispatch, in <see cref="Stopwatch"/> ticks (0 while the clock was off).</summary>
    public long WallTicks(int part) => _wall[part];

    /// <summary>
    /// Each part's managed time in µs: wall − native − timed calls × <paramref name="clockCostMicroseconds"/> (the
    /// clock's own cost per timed call, from <see cref="NativeCallClock.OwnCostTicks"/>) − clock reads ×
    /// <paramref name="readCostMicroseconds"/> (<see cref="NativeCallClock.ReadCostTicks"/>: the split's own reads,
    /// this class's boundaries among them).
    /// </summary>
    public double[] ManagedMicroseconds(double clockCostMicroseconds, double readCostMicroseconds)
    {
        var managed = new double[Count];
        for (int part = 0; part < Count; part++)
        {
            managed[part] = (_wall[part] - _native[part]) * 1e6 / Stopwatch.Frequency - _scopes[part] * clockCostMicroseconds - _reads[part] * readCostMicroseconds;
        }

        return managed;
    }
}
