using System.Diagnostics;
using System.Threading;
using Ep.Engines.NcclEp;
using Ep.Interop;
using Ep.Runtime.Tests.Interop;
using Xunit;

namespace Ep.Runtime.Tests.NcclEp;

/// <summary>
/// The benchmark's split of a Dispatch's managed code: each part's wall time less the native calls timed inside it and
/// the clock's cost per timed call and per clock read (each boundary's own among them); a part the Dispatch skipped is
/// zero, and nothing is recorded while the clock is off.
/// </summary>
[Collection(NativeCallClockTests.Collection)]
public sealed class NcclEpDispatchSegmentsTests
{
    [Fact]
    public void Each_part_is_its_wall_time_less_its_native_calls_and_the_clock_cost()
    {
        using NativeCallClockSwitch clock = NativeCallClockSwitch.Set(true);
        var segments = new NcclEpDispatchSegments();
        segments.Start();
        Thread.Sleep(3);
        segments.End(0);
        using (NativeCallClock.Measure())
        {
            Thread.Sleep(50);
        }

        NativeCallClock.Read(); // a phase's read inside part 1, beside the boundary's own
        segments.End(1);
        segments.End(3);

        double[] parts = segments.ManagedMicroseconds(clockCostMicroseconds: 0, readCostMicroseconds: 0);
        double[] charged = segments.ManagedMicroseconds(clockCostMicroseconds: 1000, readCostMicroseconds: 10);

        Assert.Equal(NcclEpDispatchSegments.Count, parts.Length);
        Assert.True(parts[0] >= 3000, $"part 0: {parts[0]} us of managed time, slept 3 ms");
        // Had the native call not been subtracted, the part would hold its 50 ms.
        Assert.True(parts[1] < 50_000, $"part 1: {parts[1]} us left after its 50 ms native call");
        Assert.Equal(parts[1] - 1000 - 2 * 10, charged[1], precision: 6);
        Assert.Equal(parts[0] - 10, charged[0], precision: 6);
        Assert.Equal(0, parts[2]);
        Assert.Equal(0, charged[2]);
        Assert.True(segments.WallTicks(1) >= Stopwatch.Frequency * 50 / 1000, "part 1's wall time holds its 50 ms native call");
    }

    [Fact]
    public void Nothing_is_recorded_while_the_clock_is_off()
    {
        using NativeCallClockSwitch clock = NativeCallClockSwitch.Set(false);
        var segments = new NcclEpDispatchSegments();
        segments.Start();
        Thread.Sleep(2);
        segments.End(0);
        segments.End(3);

        Assert.All(segments.ManagedMicroseconds(clockCostMicroseconds: 0, readCostMicroseconds: 0), part => Assert.Equal(0, part));
    }
}
