using System.Diagnostics;
using System.Threading;
using Ep.Interop;
using Xunit;

namespace Ep.Runtime.Tests.Interop;

/// <summary>
/// The benchmark subtracts <see cref="NativeCallClock"/>'s growth over a call from its wall time to give the time in Ep's
/// managed code alone, so a measured scope must count its whole span on its own thread only, and nothing while the
/// clock is off (the state every step runs in outside the benchmark).
/// </summary>
[Collection(NativeCallClockTests.Collection)]
public sealed class NativeCallClockTests
{
    /// <summary>The clock is one switch for the process: the classes that turn it on run one after the other.</summary>
    public const string Collection = "native call clock";

    [Fact]
    public void A_measured_scope_counts_its_span_once_on_the_calling_thread_and_nothing_while_the_clock_is_off()
    {
        using NativeCallClockSwitch clock = NativeCallClockSwitch.Set(false);
        long before = NativeCallClock.ThreadTicks;
        using (NativeCallClock.Measure())
        {
            Thread.Sleep(2);
        }

        Assert.Equal(before, NativeCallClock.ThreadTicks);
        long readsWhileOff = NativeCallClock.ThreadReads;
        Assert.Equal(0, NativeCallClock.Read()); // a split's read is free outside the benchmark, and not counted
        Assert.Equal(readsWhileOff, NativeCallClock.ThreadReads);

        NativeCallClock.Enabled = true;
        long start = Stopwatch.GetTimestamp();
        using (NativeCallClock.Measure())
        {
            Thread.Sleep(5);
        }

        long counted = NativeCallClock.ThreadTicks - before;
        Assert.InRange(counted, Stopwatch.Frequency * 5 / 1000, Stopwatch.GetTimestamp() - start);

        // A scope inside another counts nothing of its own: the outer span holds it already.
        long beforeNested = NativeCallClock.ThreadTicks;
        long outerStart = Stopwatch.GetTimestamp();
        using (NativeCallClock.Measure())
        {
            using (NativeCallClock.Measure())
            {
                Thread.Sleep(5);
            }
        }

        long outerSpan = Stopwatch.GetTimestamp() - outerStart;
        Assert.InRange(NativeCallClock.ThreadTicks - beforeNested, Stopwatch.Frequency * 5 / 1000, outerSpan);

        // One scope per outermost scope: the nested one above added none.
        long scopesBefore = NativeCallClock.ThreadScopes;
        using (NativeCallClock.Measure())
        {
            using (NativeCallClock.Measure())
            {
            }
        }

        using (NativeCallClock.Measure())
        {
        }

        Assert.Equal(scopesBefore + 2, NativeCallClock.ThreadScopes);

        // Calibrating the clock's own cost leaves the thread's totals as they were.
        long ticksBeforeCalibration = NativeCallClock.ThreadTicks;
        NativeCallClock.OwnCostTicks(1000);
        Assert.Equal((ticksBeforeCalibration, scopesBefore + 2), (NativeCallClock.ThreadTicks, NativeCallClock.ThreadScopes));

        // Reads for a split count on the calling thread while the clock is on, and calibrating their cost leaves
        // the count as it was.
        long readsBefore = NativeCallClock.ThreadReads;
        Assert.NotEqual(0, NativeCallClock.Read());
        Assert.Equal(readsBefore + 1, NativeCallClock.ThreadReads);
        Assert.True(NativeCallClock.ReadCostTicks(1000) > 0);
        Assert.Equal(readsBefore + 1, NativeCallClock.ThreadReads);

        long otherThread = -1;
        var thread = new Thread(() => otherThread = NativeCallClock.ThreadTicks);
        thread.Start();
        thread.Join();
        Assert.Equal(0, otherThread);
    }
}
