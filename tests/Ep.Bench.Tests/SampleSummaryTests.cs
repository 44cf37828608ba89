using System;
using Ep.Bench.Metrics;
using Xunit;

namespace Ep.Bench.Tests;

public sealed class SampleSummaryTests
{
    [Fact]
    public void Median_and_percentiles_interpolate_between_sorted_samples()
    {
        SampleSummary s = SampleSummary.Of([4.0, 1.0, 3.0, 2.0]);

        Assert.Equal(4, s.Count);
        Assert.Equal(2.5, s.Median, 12);
        Assert.Equal(1.3, s.P10, 12);
        Assert.Equal(3.7, s.P90, 12);
        Assert.Equal((1.0, 4.0, 2.5), (s.Min, s.Max, s.Mean));
    }

    [Fact]
    public void An_odd_count_has_the_middle_sample_as_median()
    {
        SampleSummary s = SampleSummary.Of([9.0, 1.0, 5.0, 7.0, 3.0]);

        Assert.Equal(5.0, s.Median);
        Assert.Equal(1.8, s.P10, 12);
        Assert.Equal(8.2, s.P90, 12);
    }

    [Fact]
    public void One_sample_is_every_percentile()
    {
        SampleSummary s = SampleSummary.Of([42.0]);

        Assert.Equal((42.0, 42.0, 42.0), (s.Median, s.P10, s.P90));
    }

    [Fact]
    public void No_samples_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => SampleSummary.Of([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleSummary.Percentile([1.0], 101));
    }
}
