using System;
using System.Collections.Generic;
using Ep.Bench.Timing;

namespace Ep.Bench.Processes;

/// <summary>
/// One rank's <see cref="RankSamples"/> as a fixed-length vector of doubles, so that rank 0 can gather every rank's samples
/// with one NCCL all-gather and pool them exactly as the simulated ranks' are. Layout: [kind: device, host, allocated]
/// × [every <see cref="BenchOperation"/>] × [<c>iterations</c> slots], NaN where there is no sample; every rank runs the same
/// number of timed steps, so every vector has the same length.
/// </summary>
internal static class RankSamplesCodec
{
    private static readonly BenchOperation[] Operations = Enum.GetValues<BenchOperation>();

    /// <summary>Doubles per rank for <paramref name="iterations"/> timed steps.</summary>
    public static int Length(int iterations) => 3 * Operations.Length * iterations;

    /// <summary>Writes <paramref name="samples"/> (at most <paramref name="iterations"/> per operation and kind).</summary>
    public static double[] Encode(RankSamples samples, int iterations)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var vector = new double[Length(iterations)];
        Array.Fill(vector, double.NaN);
        int kind = 0;
        foreach (Dictionary<BenchOperation, List<double>> set in (Dictionary<BenchOperation, List<double>>[])[samples.Device, samples.Host, samples.Allocated])
        {
            for (int op = 0; op < Operations.Length; op++)
            {
                if (!set.TryGetValue(Operations[op], out List<double>? list))
                {
                    continue;
                }

                if (list.Count > iterations)
                {
                    throw new ArgumentException($"{list.Count} samples of {Operations[op]} do not fit {iterations} slots.", nameof(samples));
                }

                list.CopyTo(vector, Offset(kind, op, iterations));
            }

            kind++;
        }

        return vector;
    }

    /// <summary>Reads a vector written by <see cref="Encode"/>.</summary>
    public static RankSamples Decode(ReadOnlySpan<double> vector, int iterations)
    {
        if (vector.Length != Length(iterations))
        {
            throw new ArgumentException($"Expected {Length(iterations)} values for {iterations} iterations, got {vector.Length}.", nameof(vector));
        }

        var samples = new RankSamples();
        for (int kind = 0; kind < 3; kind++)
        {
            for (int op = 0; op < Operations.Length; op++)
            {
                ReadOnlySpan<double> slots = vector.Slice(Offset(kind, op, iterations), iterations);
                foreach (double value in slots)
                {
                    if (double.IsNaN(value))
                    {
                        continue;
                    }

                    switch (kind)
                    {
                        case 0: samples.AddDevice(Operations[op], value); break;
                        case 1: samples.AddHost(Operations[op], value); break;
                        default: samples.AddAllocated(Operations[op], (long)value); break;
                    }
                }
            }
        }

        return samples;
    }

    private static int Offset(int kind, int op, int iterations) => (kind * Operations.Length + op) * iterations;
}
