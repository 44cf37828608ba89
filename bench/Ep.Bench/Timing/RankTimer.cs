using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace Ep.Bench.Timing;

/// <summary>
/// Times one rank's steps in separate passes, so that no measurement disturbs another.
/// <para>Device pass: CUDA events recorded on the layer's own stream right before and after each call, with no host
/// synchronisation between the operations of a step (as a training loop issues them), then one wait at the end of the
/// step. An operation's device time is the time between its two events. Where the host issues work slower than the GPU
/// runs it, or an operation waits on the host inside (every engine reads routing counts back in Dispatch), the GPU idles
/// inside that window and the idle time counts: it is the time the stream is busy with the call, as ep_bench's figures are.</para>
/// <para>NcclEp's split pass: the device pass again with events Dispatch records at its parts' boundaries, for the parts
/// alone (<see cref="RankSamples.DeviceDispatchParts"/>).</para>
/// <para>Host pass: before each call the stream is drained (outside the clock), then the wall time of the call alone is
/// read with a monotonic clock: argument checks, kernel launches, native calls and any wait the call itself makes. The
/// managed bytes the calling thread allocates during the call are read around it (outside the clock).</para>
/// </summary>
internal static class RankTimer
{
    /// <summary>Runs the warm-up and the passes for one rank; simulated ranks run this at the same time on their threads.</summary>
    public static RankSamples Run(EpLayerRuntime layer, BenchStep step, int warmup, int iterations)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(step);
        var samples = new RankSamples();
        IReadOnlyList<BenchOperation> operations = step.Operations;
        step.Prepare();
        IntPtr stream = layer.DeviceStream;
        if (stream == IntPtr.Zero)
        {
            // CPU Reference engine: the call is the work; host time is the only time.
            HostPass(step, operations, warmup, iterations, samples, drain: null, ncclEp: null);
            return samples;
        }

        using var events = new StreamEvents(stream, operations.Count + 1);
        DevicePass(step, operations, warmup, iterations, samples, events, ncclEp: null, marks: null);
        var ncclEpLayer = layer.EngineLayer as Ep.Engines.NcclEp.NcclEpLayer;
        if (ncclEpLayer is not null)
        {
            // The split of Dispatch comes from a pass of its own: its events are CUDA calls inside the call, issued while
            // the stream waits for the host, so they would lengthen the very figures set beside ep_bench's.
            using var marks = new Ep.Engines.NcclEp.NcclEpMarks(Ep.Engines.NcclEp.NcclEpMarks.DispatchBoundaries);
            ncclEpLayer.DeviceMarks = marks;
            try
            {
                DevicePass(step, operations, warmup: Math.Min(warmup, 2), iterations, samples, events, ncclEpLayer, marks);
            }
            finally
            {
                ncclEpLayer.DeviceMarks = null; // the host pass, and anything after, records no marks
            }
        }

        HostPass(step, operations, warmup: Math.Min(warmup, 2), iterations, samples, drain: events.SynchronizeStream, ncclEp: ncclEpLayer);
        return samples;
    }

    private static void DevicePass(BenchStep step, IReadOnlyList<BenchOperation> operations, int warmup, int iterations, RankSamples samples,
        StreamEvents events, Ep.Engines.NcclEp.NcclEpLayer? ncclEp, Ep.Engines.NcclEp.NcclEpMarks? marks)
    {
        for (int i = 0; i < warmup + iterations; i++)
        {
            if (step.PreparesRouting)
            {
                // Finished before the span starts: the checks overlapped with earlier work, as ep_bench's handle.
                step.PrepareRouting();
                events.SynchronizeStream();
            }

            events.Record(0);
            for (int op = 0; op < operations.Count; op++)
            {
                step.Run(operations[op]);
                events.Record(op + 1);
            }

            events.Wait(operations.Count);
            if (i < warmup)
            {
                continue;
            }

            if (marks is null)
            {
                for (int op = 0; op < operations.Count; op++)
                {
                    samples.AddDevice(operations[op], events.Microseconds(op, op + 1));
                }

                samples.AddDevice(BenchOperation.Forward, events.Microseconds(0, BenchOperations.ForwardOnly.Count));
                samples.AddDevice(BenchOperation.Step, events.Microseconds(0, operations.Count));
            }
            else if (!ncclEp!.LastDispatchIdle)
            {
                // The step's wait above passed Dispatch's marks too; an idle step records no parts after the agreement.
                // Boundaries 2 → 3 → 4: ncclEpDispatch, then the layout (LowLatency's: what outlasts NCCL EP's dispatch).
                samples.DeviceDispatchParts.Add([marks.Microseconds(0, 1), marks.Microseconds(1, 2), marks.Microseconds(2, 3), marks.Microseconds(3, 4)]);
            }
        }
    }

    private static void HostPass(BenchStep step, IReadOnlyList<BenchOperation> operations, int warmup, int iterations, RankSamples samples, Action? drain,
        Ep.Engines.NcclEp.NcclEpLayer? ncclEp)
    {
        // NcclEp: the native calls' own time is read too (two clock reads each, ≈ 40 ns), to give Ep's managed code alone.
        Ep.Interop.NativeCallClock.Enabled = ncclEp is not null;
        try
        {
            if (ncclEp is not null)
            {
                // What the clock's reads add per timed native call outside its spans, removed from the managed figure.
                Ep.Interop.NativeCallClock.OwnCostTicks(ClockCalibrationScopes);
                samples.ClockCostPerCall = Microseconds(Ep.Interop.NativeCallClock.OwnCostTicks(ClockCalibrationScopes));
                samples.ClockCostPerRead = Microseconds(Ep.Interop.NativeCallClock.ReadCostTicks(ClockCalibrationScopes));
            }

            HostPassSteps(step, operations, warmup, iterations, samples, drain, ncclEp);
        }
        finally
        {
            Ep.Interop.NativeCallClock.Enabled = false;
        }
    }

    private static void HostPassSteps(BenchStep step, IReadOnlyList<BenchOperation> operations, int warmup, int iterations, RankSamples samples, Action? drain,
        Ep.Engines.NcclEp.NcclEpLayer? ncclEp)
    {
        for (int i = 0; i < warmup + iterations; i++)
        {
            double forward = 0, total = 0;
            if (step.PreparesRouting)
            {
                // Outside every span; the drain before Dispatch waits for what it issued.
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                step.PrepareRouting();
                double microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (i >= warmup)
                {
                    samples.PrepareHost.Add(microseconds);
                    samples.PrepareAllocated.Add(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
                }
            }

            for (int op = 0; op < operations.Count; op++)
            {
                drain?.Invoke();
                // Read outside the clock; per thread, so simulated ranks do not count each other's allocations.
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long nativeBefore = Ep.Interop.NativeCallClock.ThreadTicks;
                long scopesBefore = Ep.Interop.NativeCallClock.ThreadScopes;
                long readsBefore = Ep.Interop.NativeCallClock.ThreadReads;
                long start = Stopwatch.GetTimestamp();
                step.Run(operations[op]);
                double microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                // Native calls, and the clock's own cost: per timed call, and per read the engine's split made.
                double native = Microseconds(Ep.Interop.NativeCallClock.ThreadTicks - nativeBefore)
                    + (Ep.Interop.NativeCallClock.ThreadScopes - scopesBefore) * samples.ClockCostPerCall
                    + (Ep.Interop.NativeCallClock.ThreadReads - readsBefore) * samples.ClockCostPerRead;
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                total += microseconds;
                if (op < BenchOperations.ForwardOnly.Count)
                {
                    forward += microseconds;
                }

                if (i >= warmup)
                {
                    samples.AddHost(operations[op], microseconds);
                    samples.AddAllocated(operations[op], allocated);
                    if (ncclEp is not null && operations[op] == BenchOperation.Dispatch)
                    {
                        Ep.Engines.NcclEp.NcclEpDispatchPhases phases = ncclEp.LastDispatchPhases;
                        samples.DispatchPhases.Add(phases);
                        samples.AddOwnHost(BenchOperation.Dispatch, microseconds - Microseconds(phases.UpdateHandle + phases.NativeDispatch));
                        samples.AddManagedHost(BenchOperation.Dispatch, microseconds - native);
                        double[] parts = ncclEp.DispatchSegments.ManagedMicroseconds(samples.ClockCostPerCall, samples.ClockCostPerRead);
                        samples.DispatchManagedParts.Add([.. parts, microseconds - native - parts.Sum()]);
                    }
                    else if (ncclEp is not null && operations[op] == BenchOperation.Combine)
                    {
                        samples.AddOwnHost(BenchOperation.Combine, microseconds - Microseconds(ncclEp.LastNativeCombineTicks));
                        samples.AddManagedHost(BenchOperation.Combine, microseconds - native);
                    }
                }
            }

            if (i >= warmup)
            {
                samples.AddHost(BenchOperation.Forward, forward);
                samples.AddHost(BenchOperation.Step, total);
            }
        }

        drain?.Invoke();
    }

    // Empty measured scopes timed for the clock's own cost (a few milliseconds), after as many untimed.
    private const int ClockCalibrationScopes = 100_000;

    private static double Microseconds(double stopwatchTicks) => stopwatchTicks * 1e6 / Stopwatch.Frequency;
}
