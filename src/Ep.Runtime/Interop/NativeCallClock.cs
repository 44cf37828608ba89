using System.Diagnostics;

namespace Ep.Interop;

/// <summary>
/// The host time the calling thread spends inside native calls (CUDA, NCCL, NCCL EP) on the steps' paths, so that the
/// benchmark can tell the time Ep's own managed code adds to a call from the time its native calls take: the wall time
/// of a Dispatch minus <see cref="ThreadTicks"/>' growth over it. Off unless the benchmark turns it on; then each timed
/// call costs two clock reads (≈ 40 ns). Per thread, so simulated ranks on their threads do not count each other. A
/// scope opened inside another (a helper that times its call and then calls one that times its own) counts nothing:
/// only the outermost scope's span is added, so no native time is counted twice.
/// </summary>
internal static class NativeCallClock
{
    [System.ThreadStatic]
    private static long t_ticks;

    [System.ThreadStatic]
    private static int t_depth;

    /// <summary>Whether <see cref="Measure"/> reads the clock; set only by the benchmark, around its host pass.</summary>
    public static bool Enabled { get; set; }

    /// <summary>The calling thread's total time inside measured native calls, in <see cref="Stopwatch"/> ticks.</summary>
    public static long ThreadTicks => t_ticks;

    /// <summary>Times the native call(s) of a <c>using</c> scope on the calling thread (a no-op while disabled).</summary>
    public static Scope Measure()
    {
        if (!Enabled)
        {
            return default;
        }

        return new Scope(t_depth++ == 0 ? Stopwatch.GetTimestamp() : 0, entered: true);
    }

    /// <summary>A measured scope: allocates nothing (a ref struct, disposed by its <c>using</c>).</summary>
    public readonly ref struct Scope
    {
        private readonly long _start;
        private readonly bool _entered;

        internal Scope(long start, bool entered)
        {
            _start = start;
            _entered = entered;
        }

        public void Dispose()
        {
            if (!_entered)
            {
                return;
            }

            t_depth--;
            if (_start != 0)
            {
                t_ticks += Stopwatch.GetTimestamp() - _start;
            }
        }
    }
}
