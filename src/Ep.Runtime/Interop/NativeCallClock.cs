using System.Diagnostics;

namespace Ep.Interop;

/// <summary>
/// The host time the calling thread spends inside native calls (CUDA, NCCL, NCCL EP) on the steps' paths, so that the
/// benchmark can tell the time Ep's own managed code adds to a call from the time its native calls take: the wall time
/// of a Dispatch minus <see cref="ThreadTicks"/>' growth over it. Off unless the benchmark turns it on; then each timed
/// call costs two clock reads (≈ 40 ns). Per thread, so simulated ranks on their threads do not count each other.
/// </summary>
internal static class NativeCallClock
{
    [System.ThreadStatic]
    private static long t_ticks;

    /// <summary>Whether <see cref="Measure"/> reads the clock; set only by the benchmark, around its host pass.</summary>
    public static bool Enabled { get; set; }

    /// <summary>The calling thread's total time inside measured native calls, in <see cref="Stopwatch"/> ticks.</summary>
    public static long ThreadTicks => t_ticks;

    /// <summary>Times the native call(s) of a <c>using</c> scope on the calling thread (a no-op while disabled).</summary>
    public static Scope Measure() => new(Enabled ? Stopwatch.GetTimestamp() : 0);

    /// <summary>A measured scope: allocates nothing (a ref struct, disposed by its <c>using</c>).</summary>
    public readonly ref struct Scope
    {
        private readonly long _start;

        internal Scope(long start) => _start = start;

        public void Dispose()
        {
            if (_start != 0)
            {
                t_ticks += Stopwatch.GetTimestamp() - _start;
            }
        }
    }
}
