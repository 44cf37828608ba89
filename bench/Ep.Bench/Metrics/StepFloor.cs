using System;
using System.Collections.Generic;
using System.Linq;

namespace Ep.Bench.Metrics;

/// <summary>A step's measured time next to the least time its row movement needs on this GPU.</summary>
/// <param name="Bytes">Bytes the step must move (<see cref="StepFloors.Bytes"/>).</param>
/// <param name="FloorMicroseconds">Bytes ÷ the copy's read + write bandwidth.</param>
/// <param name="StepMicroseconds">Median measured step (device time).</param>
internal sealed record StepFloor(long Bytes, double FloorMicroseconds, double StepMicroseconds)
{
    /// <summary>Measured ÷ floor (1 = at the copy ceiling).</summary>
    public double Ratio => FloorMicroseconds > 0 ? StepMicroseconds / FloorMicroseconds : double.NaN;
}

/// <summary>The floor of a step with ranks simulated on one GPU: every row exchanged is read once and written once.</summary>
internal static class StepFloors
{
    /// <summary>
    /// Bytes = Σ rows received by every rank × H × 2 × 2 (read + write) × passes, where a pass is Dispatch, Combine,
    /// and with a backward CombineBackward and DispatchBackward (each moves the same rows): 4 passes for training, 2 for LL.
    /// </summary>
    public static long Bytes(IEnumerable<long> rowsReceivedPerRank, int hidden, bool backward)
    {
        ArgumentNullException.ThrowIfNull(rowsReceivedPerRank);
        return rowsReceivedPerRank.Sum() * ByteFormulas.RowBytes(hidden) * 2 * (backward ? 4 : 2);
    }

    /// <summary>The floor from <paramref name="bytes"/> and the copy's GB/s copied (its traffic is twice that); null without either.</summary>
    public static StepFloor? Of(long bytes, double copyGigabytesPerSecond, double? stepMicroseconds)
    {
        if (copyGigabytesPerSecond <= 0 || stepMicroseconds is not { } step)
        {
            return null;
        }

        return new StepFloor(bytes, bytes / (2 * copyGigabytesPerSecond * 1e9) * 1e6, step);
    }
}
