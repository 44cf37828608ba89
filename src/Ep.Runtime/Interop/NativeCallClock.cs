using System.Diagnostics;

namespace Ep.Interop;

/// <summary>
/// The host time the calling thread spends inside native calls (CUDA, NCCL, NCCL EP) on the steps' paths, so that the
/// benchmark can tell the time Ep's own managed code adds to a call from the time its native calls take: the wall time
/// of a Dispatch minus <see cref="ThreadTicks"/>' growth over it. Off unless the benchmark turns it on; then each timed
/// call costs two clock reads (≈ 40 ns). Per thread, so simulated ranks on their threads do not count each other. A
/// scope opened inside another (a helper that times its call and then calls one that times its own) counts nothing:
/// only the outermost scope's span is added, so no native time is counted twice. The clock's own reads fall partly
/// outside the spans it adds, so the benchmark also removes <see cref="OwnCostTicks"/> per counted scope
/// (<see cref="ThreadScopes"/>): that cost exists only while the clock is on. <see cref="Read"/> gives the engines'
/// splits of a call into parts their clock reads on the same switch, counted the same way.
/// </summary>
internal static class NativeCallClock
{
    [System.ThreadStatic]
    private static long t_ticks;

    [System.ThreadStatic]
    private static int t_depth;

    [System.ThreadStatic]
    private static long t_scopes;

    [System.ThreadStatic]
    private static long t_reads;

    /// <summary>Whether <see cref="Measure"/> reads the clock; set only by the benchmark, around its host pass.</summary>
    public static bool Enabled { get; set; }

    /// <summary>The calling thread's total time inside measured native calls, in <see cref="Stopwatch"/> ticks.</summary>
    public static long ThreadTicks => t_ticks;

    /// <summary>How many outermost scopes the calling thread has opened while the clock was on.</summary>
    public static long ThreadScopes => t_scopes;

    /// <summary>How many times the calling thread has read the clock with <see cref="Read"/> while it was on.</summary>
    public static long ThreadReads => t_reads;

    /// <summary>
    /// A clock read for the benchmark's split of a call into parts (Dispatch's phases and segments, Combine's native
    /// call): the time in <see cref="Stopwatch"/> ticks while the clock is on, else 0, so that outside the benchmark the
    /// split costs one flag test per boundary. Counted per thread, so that the benchmark removes the reads' own cost
    /// (<see cref="ReadCostTicks"/>) from the managed figure, as it removes the measured scopes'.
    /// </summary>
    public static long Read()
    {
        if (!Enabled)
        {
            return 0;
        }

        t_reads++;
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// What one <see cref="Read"/> costs its caller, in <see cref="Stopwatch"/> ticks, averaged over
    /// <paramref name="reads"/> reads on the calling thread. Call it with the clock on; the calibration's own reads are
    /// removed from the thread's count again.
    /// </summary>
    public static double ReadCostTicks(int reads)
    {
        long readsBefore = t_reads;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reads; i++)
        {
            Read();
        }

        long wall = Stopwatch.GetTimestamp() - start;
        t_reads = readsBefore;
        return (double)wall / reads;
    }

    /// <summary>Times the native call(s) of a <c>using</c> scope on the calling thread (a no-op while disabled).</summary>
    public static Scope Measure()
    {
        if (!Enabled)
        {
            return default;
        }

        if (t_depth++ != 0)
        {
            return new Scope(0, entered: true);
        }

        t_scopes++;
        return new Scope(Stopwatch.GetTimestamp(), entered: true);
    }

    /// <summary>
    /// The time one measured scope costs its caller outside the span it adds, in <see cref="Stopwatch"/> ticks, averaged
    /// over <paramref name="scopes"/> empty scopes on the calling thread: what each timed native call adds to the time
    /// left for managed code while the clock is on. Call it with the clock on; the calibration's own scopes are removed
    /// from the thread's totals again.
    /// </summary>
    public static double OwnCostTicks(int scopes)
    {
        long ticksBefore = t_ticks;
        long scopesBefore = t_scopes;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < scopes; i++)
        {
            using Scope scope = Measure();
        }

        long wall = Stopwatch.GetTimestamp() - start;
        long inside = t_ticks - ticksBefore;
        t_ticks = ticksBefore;
        t_scopes = scopesBefore;
        return (double)(wall - inside) / scopes;
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
