using System;
using System.Collections.Generic;
using System.Diagnostics;
using Ep.Engines.NcclEp;

namespace Ep.Bench.Timing;

/// <summary>
/// Times replays of a captured step, as <see cref="RankTimer"/> times eager calls: a device pass (events on the layer's
/// stream right before and after each launch, one wait per replay) and a host pass (the stream drained outside the clock,
/// then the wall time and managed allocation of <c>Replay()</c> alone). Every replay's <c>Wait()</c> runs outside the
/// clock and would throw a routing error, so a replay that dropped entries cannot pass unnoticed. On NcclEp a second
/// graph of the same step, with event-record nodes at its parts' boundaries, splits the replay into parts (kept apart
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
            Parts(ncclEp, step, events, warmup, iterations, samples);
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

    /// <summary>The parts of each replay of a second graph whose event nodes mark them (<see cref="NcclEpMarks"/>).</summary>
    private static void Parts(NcclEpLayer ncclEp, BenchStep step, StreamEvents events, int warmup, int iterations, RankSamples samples)
    {
        using var marks = new NcclEpMarks(NcclEpMarks.StepBoundaries);
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
            long rebuiltBefore = ncclEp.CapturedHandleRebuilds;
            for (int i = 0; i < warmup + iterations; i++)
            {
                ReplayTimed(marked, events);
                if (i >= warmup)
                {
                    // Routing check + gather, ncclEpUpdateHandle, ncclEpDispatch, layout upkeep; entry to the experts; the
                    // Combine part; entry to the end of ncclEpDispatch.
                    samples.GraphParts.Add([marks.Microseconds(0, 1), marks.Microseconds(1, 2), marks.Microseconds(2, 3), marks.Microseconds(3, 4),
                        marks.Microseconds(0, NcclEpMarks.BeforeExperts), marks.Microseconds(NcclEpMarks.BeforeExperts, marks.Count - 1),
                        marks.Microseconds(0, 3)]);
                }
            }

            samples.GraphHandleRebuilds = new Graphs.HandleRebuilds(ncclEp.CapturedHandleRebuilds - rebuiltBefore, warmup + iterations);
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
