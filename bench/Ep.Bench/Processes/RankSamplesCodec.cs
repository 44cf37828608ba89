using System;
using System.Collections.Generic;
using Ep.Bench.Timing;
using Ep.Engines.NcclEp;

namespace Ep.Bench.Processes;

/// <summary>
/// One rank's <see cref="RankSamples"/> as a fixed-length vector of doubles, so that rank 0 can gather every rank's samples
/// with one NCCL all-gather and pool them exactly as the simulated ranks' are — every figure the one-process report gives
/// from them: device, host and allocation samples, Ep's own and managed host time, PrepareDispatch's cost and Dispatch's
/// splits. Every rank runs the same number of timed steps, so every vector has the same length; NaN marks an empty slot.
/// </summary>
/// <remarks>
/// Layout, <c>n</c> = iterations: [device, host, allocated, own host, managed host] × [every <see cref="BenchOperation"/>]
/// × n; then PrepareDispatch's host time and bytes, n each; then n Dispatch phases of five values (Stopwatch ticks: one
/// host's clock, so they mean the same on every rank of a one-host launch, and the pooled medians convert them); then n
/// device Dispatch splits of four; then n managed-code splits of Dispatch (its parts and the rest); then the clock's own
/// cost per native call. Each record is at most one per timed step.
/// </remarks>
internal static class RankSamplesCodec
{
    private static readonly BenchOperation[] Operations = Enum.GetValues<BenchOperation>();
    private const int PerOperationKinds = 5;
    private const int PhaseValues = 5;
    private const int DeviceSplitValues = 4;
    private const int ManagedPartValues = NcclEpDispatchSegments.Count + 1;

    /// <summary>Doubles per rank for <paramref name="iterations"/> timed steps.</summary>
    public static int Length(int iterations) => (PerOperationKinds * Operations.Length + 2 + PhaseValues + DeviceSplitValues + ManagedPartValues) * iterations + 2;

    /// <summary>Writes <paramref name="samples"/> (at most <paramref name="iterations"/> per operation and kind).</summary>
    public static double[] Encode(RankSamples samples, int iterations)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var vector = new double[Length(iterations)];
        Array.Fill(vector, double.NaN);
        var writer = new Cursor(vector, iterations);
        foreach (Dictionary<BenchOperation, List<double>> set in PerOperation(samples))
        {
            foreach (BenchOperation operation in Operations)
            {
                writer.Write(set.GetValueOrDefault(operation) ?? [], operation.ToString());
            }
        }

        writer.Write(samples.PrepareHost, nameof(samples.PrepareHost));
        writer.Write(samples.PrepareAllocated, nameof(samples.PrepareAllocated));
        writer.WriteRecords(samples.DispatchPhases, PhaseValues, nameof(samples.DispatchPhases),
            (p, values) => (values[0], values[1], values[2], values[3], values[4]) = (p.Routing, p.UpdateHandle, p.NativeDispatch, p.Layout, p.RoutingReadBack));
        writer.WriteRecords(samples.DeviceDispatchParts, DeviceSplitValues, nameof(samples.DeviceDispatchParts), (parts, values) => parts.AsSpan(0, DeviceSplitValues).CopyTo(values));
        writer.WriteRecords(samples.DispatchManagedParts, ManagedPartValues, nameof(samples.DispatchManagedParts), (parts, values) => parts.AsSpan(0, ManagedPartValues).CopyTo(values));
        (vector[^2], vector[^1]) = (samples.ClockCostPerRead, samples.ClockCostPerCall);
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
        var reader = new Cursor(vector.ToArray(), iterations);
        foreach (Dictionary<BenchOperation, List<double>> set in PerOperation(samples))
        {
            foreach (BenchOperation operation in Operations)
            {
                List<double> values = reader.Read();
                if (values.Count > 0)
                {
                    set[operation] = values;
                }
            }
        }

        samples.PrepareHost.AddRange(reader.Read());
        samples.PrepareAllocated.AddRange(reader.Read());
        foreach (double[] p in reader.ReadRecords(PhaseValues))
        {
            samples.DispatchPhases.Add(new NcclEpDispatchPhases((long)p[0], (long)p[1], (long)p[2], (long)p[3], (long)p[4]));
        }

        samples.DeviceDispatchParts.AddRange(reader.ReadRecords(DeviceSplitValues));
        samples.DispatchManagedParts.AddRange(reader.ReadRecords(ManagedPartValues));
        (samples.ClockCostPerRead, samples.ClockCostPerCall) = (vector[^2], vector[^1]);
        return samples;
    }

    /// <summary>The per-operation sets, in the vector's order.</summary>
    private static Dictionary<BenchOperation, List<double>>[] PerOperation(RankSamples samples) =>
        [samples.Device, samples.Host, samples.Allocated, samples.OwnHost, samples.ManagedHost];

    /// <summary>Walks the vector section by section: each section holds <c>iterations</c> slots of one or more values.</summary>
    private sealed class Cursor(double[] vector, int iterations)
    {
        private int _offset;

        public void Write(List<double> values, string name) =>
            WriteRecords(values, 1, name, (value, slot) => slot[0] = value);

        public void WriteRecords<T>(List<T> records, int width, string name, WriteRecord<T> write)
        {
            if (records.Count > iterations)
            {
                throw new ArgumentException($"{records.Count} samples of {name} do not fit {iterations} slots.", nameof(records));
            }

            for (int i = 0; i < records.Count; i++)
            {
                write(records[i], vector.AsSpan(_offset + i * width, width));
            }

            _offset += iterations * width;
        }

        public List<double> Read() => ReadRecords(1).ConvertAll(record => record[0]);

        public List<double[]> ReadRecords(int width)
        {
            var records = new List<double[]>();
            for (int i = 0; i < iterations; i++)
            {
                double[] record = vector.AsSpan(_offset + i * width, width).ToArray();
                if (!double.IsNaN(record[0]))
                {
                    records.Add(record);
                }
            }

            _offset += iterations * width;
            return records;
        }
    }

    private delegate void WriteRecord<in T>(T record, Span<double> values);
}
