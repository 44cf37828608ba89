using System;
using System.Collections.Generic;
using System.Linq;

namespace Ep.Bench.Metrics;

/// <summary>Median and spread of timing samples, in microseconds.</summary>
/// <param name="Count">Samples.</param>
/// <param name="Median">50th percentile.</param>
/// <param name="P10">10th percentile.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="Min">Fastest sample.</param>
/// <param name="Max">Slowest sample.</param>
/// <param name="Mean">Arithmetic mean (ep_bench reports means; we lead with the median).</param>
internal sealed record SampleSummary(int Count, double Median, double P10, double P90, double Min, double Max, double Mean)
{
    /// <summary>Summarises <paramref name="samples"/>; percentiles interpolate linearly between ranks (as numpy's default).</summary>
    /// <exception cref="ArgumentException">No samples.</exception>
    public static SampleSummary Of(IEnumerable<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        double[] sorted = samples.ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("At least one sample is needed.", nameof(samples));
        }

        Array.Sort(sorted);
        return new SampleSummary(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 10), Percentile(sorted, 90),
            sorted[0], sorted[^1], sorted.Average());
    }

    /// <summary>
    /// The median of each column of <paramref name="rows"/> (one row per sample, each split into the same parts, µs):
    /// the per-part medians of a split timing.
    /// </summary>
    /// <exception cref="ArgumentException">No rows.</exception>
    public static double[] ColumnMedians(IReadOnlyCollection<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed.", nameof(rows));
        }

        int columns = rows.First().Length;
        return Enumerable.Range(0, columns).Select(c => Of(rows.Select(r => r[c])).Median).ToArray();
    }

    /// <summary>The <paramref name="percent"/>-th percentile of ascending <paramref name="sorted"/>, interpolated.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed.", nameof(sorted));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        double position = percent / 100 * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}
