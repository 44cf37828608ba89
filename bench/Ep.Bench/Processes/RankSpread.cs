using System;
using System.Collections.Generic;
using System.Linq;
using Ep.Bench.Metrics;

namespace Ep.Bench.Processes;

/// <summary>One figure across the ranks of a process run: each rank contributes its own value (e.g. its median GB/s).</summary>
/// <param name="Min">Lowest rank's value.</param>
/// <param name="Median">Median over ranks (interpolated between the two middle ranks for an even count).</param>
/// <param name="Max">Highest rank's value.</param>
/// <param name="Ranks">How many ranks had a value.</param>
internal sealed record RankSpread(double Min, double Median, double Max, int Ranks)
{
    /// <summary>The spread of the finite values in <paramref name="perRank"/>, or null when there is none.</summary>
    public static RankSpread? Of(IEnumerable<double?> perRank)
    {
        ArgumentNullException.ThrowIfNull(perRank);
        double[] values = perRank.Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).Order().ToArray();
        return values.Length == 0
            ? null
            : new RankSpread(values[0], SampleSummary.Percentile(values, 50), values[^1], values.Length);
    }
}
