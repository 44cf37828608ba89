using System;
using System.Diagnostics;
using Ep.Interop;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The benchmark's view of where Ep's managed code in one Dispatch goes: for each part of <see cref="NcclEpLayer"/>'s
/// Dispatch, its wall time, the time inside the native calls it made (<see cref="NativeCallClock"/>) and how many of
/// them were timed, so that the managed time per part is wall − native − timed calls × the clock's own cost. The
/// parts: the checks of every tensor NCCL EP will see; the routing agreement; everything up to and including
/// <c>ncclEpDispatch</c> (the handle, the source copies, the received rows' upkeep, the descriptors); the layout.
/// Records only while the clock is on (the benchmark's host pass): in normal use each boundary costs one flag test.
/// </summary>
internal sealed class NcclEpDispatchSegments
{
    /// <summary>The parts, in order.</summary>
    public const int Count = 4;

    private readonly long[] _wall = new long[Count];
    private readonly long[] _native = new long[Count];
    private readonly long[] _scopes = new long[Count];
    private long _wallAt;
    private long _nativeAt;
    private long _scopesAt;

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
        (_wallAt, _nativeAt, _scopesAt) = (Stopwatch.GetTimestamp(), NativeCallClock.ThreadTicks, NativeCallClock.ThreadScopes);
    }

    /// <summary>Ends part <paramref name="part"/> (parts in between, skipped, stay zero); the next part starts here.</summary>
    public void End(int part)
    {
        if (!NativeCallClock.Enabled)
        {
            return;
        }

        (long wall, long native, long scopes) = (Stopwatch.GetTimestamp(), NativeCallClock.ThreadTicks, NativeCallClock.ThreadScopes);
        _wall[part] = wall - _wallAt;
        _native[part] = native - _nativeAt;
        _scopes[part] = scopes - _scopesAt;
        (_wallAt, _nativeAt, _scopesAt) = (wall, native, scopes);
    }

    /// <summary>
    /// Each part's managed time in µs: wall − native − timed calls × <paramref name="clockCostMicroseconds"/> (the
    /// clock's own cost per timed call, from <see cref="NativeCallClock.OwnCostTicks"/>).
    /// </summary>
    public double[] ManagedMicroseconds(double clockCostMicroseconds)
    {
        var managed = new double[Count];
        for (int part = 0; part < Count; part++)
        {
            managed[part] = (_wall[part] - _native[part]) * 1e6 / Stopwatch.Frequency - _scopes[part] * clockCostMicroseconds;
        }

        return managed;
    }
}
