using System.Diagnostics;
using Ep.Bench.Metrics;
using Ep.Engines.NcclEp;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class DispatchSplitTests
{
    private static long Ticks(double microseconds) => (long)(microseconds * Stopwatch.Frequency / 1e6);

    [Fact]
    public void Each_part_is_the_median_over_steps_that_called_nccl_ep()
    {
        NcclEpDispatchPhases[] phases =
        [
            new(Ticks(10), Ticks(100), Ticks(300), Ticks(5), Ticks(8)),
            new(Ticks(30), Ticks(120), Ticks(280), Ticks(7), Ticks(25)),
            new(Ticks(20), Ticks(110), Ticks(290), Ticks(6), Ticks(15)),
            new(Ticks(999), 0, 0, 0, Ticks(900)), // an idle step: NCCL EP was not called, so it is left out
        ];

        DispatchSplit split = DispatchSplit.Of(phases)!;

        Assert.Equal(20, split.Routing, 1);
        Assert.Equal(110, split.UpdateHandle, 1);
        Assert.Equal(290, split.NativeDispatch, 1);
        Assert.Equal(6, split.Layout, 1);
        Assert.Equal(15, split.RoutingReadBack!.Value, 1);
    }

    [Fact]
    public void There_is_no_split_without_a_native_call() =>
        Assert.Null(DispatchSplit.Of([new NcclEpDispatchPhases(Ticks(5), 0, 0, 0, Ticks(4))]));

    [Fact]
    public void The_device_split_takes_each_part_median_over_the_steps()
    {
        DispatchSplit split = DispatchSplit.OfDevice([[30, 20, 300, 10], [50, 22, 280, 12], [40, 21, 290, 11]])!;

        Assert.Equal(new DispatchSplit(40, 21, 290, 11), split); // the read-back is a host figure: none on the device
        Assert.Null(DispatchSplit.OfDevice([]));
    }
}
