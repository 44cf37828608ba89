using System;
using System.Diagnostics;

namespace Ep.Bench.Timing;

/// <summary>
/// Times replays of a captured step, as <see cref="RankTimer"/> times eager calls: a device pass (events on the layer's
/// stream right before and after each launch, one wait per replay) and a host pass (the stream drained outside the clock,
/// then the wall time and managed allocation of <c>Replay()</c> alone). Every replay's <c>Wait()</c> runs outside the
/// clock and would throw a routing error, so a replay that dropped entries cannot pass unnoticed.
/// </summary>
internal static class GraphTimer
{
    /// <summary>Captures <paramref name="step"/>'s forward pass and adds its replays' samples to <paramref name="samples"/>.</summary>
    public static void Run(EpLayerRuntime layer, BenchStep step, int warmup, int iterations, RankSamples samples)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(samples);
        using EpCapturedStep captured = step.Capture();
        if (!captured.IsGraph)
        {
            throw new InvalidOperationException("The step was not captured as a CUDA graph: " + captured.How);
        }

        using var events = new StreamEvents(layer.DeviceStream, 2);
        for (int i = 0; i < warmup + iterations; i++)
        {
            events.Record(0);
            captured.Replay();
            events.Record(1);
            events.Wait(1);
            captured.Wait();
            if (i >= warmup)
            {
                samples.GraphDevice.Add(events.Microseconds(0, 1));
            }
        }

        for (int i = 0; i < iterations; i++)
        {
            events.SynchronizeStream();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            captured.Replay();
            double microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            samples.GraphAllocated.Add(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
            samples.GraphHost.Add(microseconds);
            captured.Wait();
        }
    }
}
