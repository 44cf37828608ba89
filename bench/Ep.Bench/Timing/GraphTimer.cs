using System;
using System.Collections.Generic;
using System.Diagnostics;
using Ep.Engines.NcclEp;

namespace Ep.Bench.Timing;

/// <summary>
/// Times replays of a captured step, as <see cref="RankTimer"/> times eager calls: a device pass (events on the layer's
/// stream right before and after each launch, one wait per replay) and a host pass (the stream drained outside the clock,
/// then the wall time and managed allocation of <c>Replay()</c> alone). Every replay's <c>Wait()</c> runs outside the
/// clock and would throw a routing error, so a replay that dropped entries cannot pass unnoticed. On NcclEp two more
/// graphs of the same step, with event-record nodes at its parts' boundaries, split the replay into parts (kept apart
/// so that the extra nodes do not weigh on the first graph's times).
/// </summary>
internal static class GraphTimer
{
    /// <summary>
    /// Captures <paramref name="step"/>'s forward pass and adds its replays' samples to <paramref name="samples"/>; for
    /// HighThroughput also the training step's (forward and backward in one graph).
    /// </summary>
    public static void Run(EpLayerRuntime layer, BenchStep step, int warmup, int iterations, RankSamples samples)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(samples);
        using var events = new StreamEvents(layer.DeviceStream, 2);
        using (EpCapturedStep captured = step.Capture())
        {
            TimeReplays(captured, events, warmup, iterations, samples.GraphDevice, samples.GraphHost, samples.GraphAllocated);
        }

        if (layer.EngineLayer is NcclEpLayer ncclEp)
        {
            Parts(ncclEp, step, events, warmup, iterations, samples, layer.Spec.Algorithm == EpAlgorithm.LowLatency);
        }

        if (layer.Spec.Algorithm == EpAlgorithm.HighThroughput)
        {
            using EpCapturedStep training = step.CaptureTraining();
            TimeReplays(training, events, warmup, iterations, samples.TrainingGraphDevice, samples.TrainingGraphHost, samples.TrainingGraphAllocated);
        }
    }

    /// <summary>The device pass and the host pass over <paramref name="captured"/>'s replays, into the three lists.</summary>
    private static void TimeReplays(EpCapturedStep captured, StreamEvents events, int warmup, int iterations, List<double> device, List<double> host,
        List<double> allocated)
    {
        if (!captured.IsGraph)
        {
            throw new InvalidOperationException("The step was not captured as a CUDA graph: " + captured.How);
        }

        for (int i = 0; i < warmup + iterations; i++)
        {
            double microseconds = ReplayTimed(captured, events);
            if (i >= warmup)
            {
                device.Add(microseconds);
            }
        }

        for (int i = 0; i < iterations; i++)
        {
            events.SynchronizeStream();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            captured.Replay();
            double microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
            host.Add(microseconds);
            captured.Wait();
        }
    }

    /// <summary>
    /// The parts of each replay, from two more graphs of the same step whose event nodes mark them
    /// (<see cref="NcclEpMarks"/>): one at every boundary (the split), one only at the boundaries of the Dispatch and
    /// Combine parts (their spans, without the split's nodes inside them).
    /// </summary>
    private static void Parts(NcclEpLayer ncclEp, BenchStep step, StreamEvents events, int warmup, int iterations, RankSamples samples, bool lowLatency)
    {
        int last = NcclEpMarks.StepBoundaries - 1, dispatchEnd = DispatchPartEnd(lowLatency);
        long rebuiltBefore = ncclEp.CapturedHandleRebuilds;
        using var split = new NcclEpMarks(NcclEpMarks.StepBoundaries);
        List<double[]> splitRows = ReplayMarked(ncclEp, step, split, events, warmup, iterations,
            m => [m.Microseconds(0, 1), m.Microseconds(1, 2), m.Microseconds(2, 3), m.Microseconds(3, 4), m.Microseconds(0, dispatchEnd)]);
        using NcclEpMarks spans = NcclEpMarks.Only(NcclEpMarks.StepBoundaries, 0, dispatchEnd, NcclEpMarks.BeforeExperts, last);
        List<double[]> spanRows = ReplayMarked(ncclEp, step, spans, events, warmup, iterations,
            m => [m.Microseconds(0, dispatchEnd), m.Microseconds(NcclEpMarks.BeforeExperts, last)]);
        for (int i = 0; i < iterations; i++)
        {
            double[] s = splitRows[i];
            samples.GraphParts.Add([s[0], s[1], s[2], s[3], spanRows[i][0], spanRows[i][1], s[4]]);
        }

        samples.GraphHandleRebuilds = new Graphs.HandleRebuilds(ncclEp.CapturedHandleRebuilds - rebuiltBefore, 2 * (warmup + iterations));
    }

    /// <summary>
    /// The boundary where a captured step's Dispatch part ends: LowLatency, before the experts (its padding upkeep is
    /// Dispatch's work); HighThroughput, after ncclEpDispatch (Permute is Permute's work, as in eager steps).
    /// </summary>
    internal static int DispatchPartEnd(bool lowLatency) => lowLatency ? NcclEpMarks.BeforeExperts : 3;

    /// <summary>Captures <paramref name="step"/> recording <paramref name="marks"/>, replays it, and reads each timed replay's row.</summary>
    private static List<double[]> ReplayMarked(NcclEpLayer ncclEp, BenchStep step, NcclEpMarks marks, StreamEvents events, int warmup, int iterations,
        Func<NcclEpMarks, double[]> read)
    {
        ncclEp.CaptureMarks = marks;
        EpCapturedStep marked;
        try
        {
            marked = step.Capture();
        }
        finally
        {
            ncclEp.CaptureMarks = null; // only this capture records them
        }

        using (marked)
        {
            var rows = new List<double[]>(iterations);
            for (int i = 0; i < warmup + iterations; i++)
            {
                ReplayTimed(marked, events);
                if (i >= warmup)
                {
                    rows.Add(read(marks));
                }
            }

            return rows;
        }
    }

    /// <summary>One replay between two events, waited for (and its routing checked); its device time, µs.</summary>
    private static double ReplayTimed(EpCapturedStep captured, StreamEvents events)
    {
        events.Record(0);
        captured.Replay();
        events.Record(1);
        events.Wait(1);
        captured.Wait();
        return events.Microseconds(0, 1);
    }
}
