using System.Collections.Generic;

namespace Ep.Bench.Timing;

/// <summary>One rank's timing samples in microseconds, per operation and span: device (events) and host (wall clock of the call).</summary>
internal sealed class RankSamples
{
    /// <summary>Device-time samples; empty for the CPU Reference engine.</summary>
    public Dictionary<BenchOperation, List<double>> Device { get; } = [];

    /// <summary>Host-time samples of each call (validation + native calls + any wait inside the call).</summary>
    public Dictionary<BenchOperation, List<double>> Host { get; } = [];

    /// <summary>Managed bytes allocated by the calling thread during each call of the host pass (GC.GetAllocatedBytesForCurrentThread).</summary>
    public Dictionary<BenchOperation, List<double>> Allocated { get; } = [];

    /// <summary>NcclEp only: where each host-pass Dispatch's time went (routing agreement, update handle, native dispatch, layout).</summary>
    public List<Ep.Engines.NcclEp.NcclEpDispatchPhases> DispatchPhases { get; } = [];

    /// <summary>NcclEp only: each device-pass Dispatch's parts on the stream, µs (routing agreement, update handle, native dispatch, layout).</summary>
    public List<double[]> DeviceDispatchParts { get; } = [];

    /// <summary>NcclEp only: each host-pass Dispatch's and Combine's wall time minus its native calls (Ep's own host time).</summary>
    public Dictionary<BenchOperation, List<double>> OwnHost { get; } = [];

    /// <summary>
    /// NcclEp only: each host-pass Dispatch's and Combine's wall time minus every native call in it — CUDA's, NCCL's and
    /// NCCL EP's (<see cref="Ep.Interop.NativeCallClock"/>), and the clock's own cost for each of them
    /// (<see cref="ClockCostPerCall"/>): the time in Ep's managed code alone.
    /// </summary>
    public Dictionary<BenchOperation, List<double>> ManagedHost { get; } = [];

    /// <summary>
    /// NcclEp only: each host-pass Dispatch's managed time by part, µs (<see cref="Ep.Engines.NcclEp.NcclEpDispatchSegments"/>:
    /// tensor checks, routing agreement, up to and including ncclEpDispatch, layout), then the rest of the call outside
    /// the engine's Dispatch (the runtime's and the benchmark's own code around it).
    /// </summary>
    public List<double[]> DispatchManagedParts { get; } = [];

    /// <summary>
    /// NcclEp host pass: µs each timed native call costs outside the span it adds while the clock is on (two clock
    /// reads), calibrated on this thread first; counted with the native calls, not with <see cref="ManagedHost"/>.
    /// </summary>
    public double ClockCostPerCall { get; set; }

    /// <summary>
    /// NcclEp host pass: µs each clock read of the engine's split costs (<see cref="Ep.Interop.NativeCallClock.Read"/>:
    /// Dispatch's phases and segments, Combine's native call), calibrated on this thread first; counted with the native
    /// calls, not with <see cref="ManagedHost"/>: outside the benchmark the split reads no clock.
    /// </summary>
    public double ClockCostPerRead { get; set; }

    /// <summary>--prepared: each host-pass PrepareDispatch's wall time, µs (outside every timed span).</summary>
    public List<double> PrepareHost { get; } = [];

    /// <summary>--prepared: managed bytes each host-pass PrepareDispatch allocated.</summary>
    public List<double> PrepareAllocated { get; } = [];

    /// <summary>--cuda-graph on an engine that captures: each replay's device time, µs (events around the launch).</summary>
    public List<double> GraphDevice { get; } = [];

    /// <summary>
    /// --cuda-graph on NcclEp: each replay's parts from events the graph records, µs. From a graph with an event at every
    /// boundary: routing check, ncclEpUpdateHandle, ncclEpDispatch, layout upkeep; from one with events only at the
    /// parts' ends: the Dispatch part, the Combine part; and the first graph's Dispatch part (its nodes included).
    /// </summary>
    public List<double[]> GraphParts { get; } = [];

    /// <summary>--cuda-graph on NcclEp HighThroughput: in how many of the marked graph's replays the handle was rebuilt.</summary>
    public Graphs.HandleRebuilds? GraphHandleRebuilds { get; set; }

    /// <summary>--cuda-graph: each <c>Replay()</c> call's host time, µs.</summary>
    public List<double> GraphHost { get; } = [];

    /// <summary>--cuda-graph: managed bytes each <c>Replay()</c> call allocated.</summary>
    public List<double> GraphAllocated { get; } = [];

    /// <summary>--cuda-graph, HighThroughput: the captured training step's replays (forward and backward), as the three above.</summary>
    public List<double> TrainingGraphDevice { get; } = [];

    /// <summary>See <see cref="TrainingGraphDevice"/>: host time of each <c>Replay()</c>, µs.</summary>
    public List<double> TrainingGraphHost { get; } = [];

    /// <summary>See <see cref="TrainingGraphDevice"/>: managed bytes of each <c>Replay()</c>.</summary>
    public List<double> TrainingGraphAllocated { get; } = [];

    /// <summary>Adds a sample of Ep's own host time.</summary>
    public void AddOwnHost(BenchOperation operation, double microseconds) => Add(OwnHost, operation, microseconds);

    /// <summary>Adds a sample of the time in Ep's managed code alone.</summary>
    public void AddManagedHost(BenchOperation operation, double microseconds) => Add(ManagedHost, operation, microseconds);

    /// <summary>Adds an allocation sample.</summary>
    public void AddAllocated(BenchOperation operation, long bytes) => Add(Allocated, operation, bytes);

    /// <summary>Adds a device sample.</summary>
    public void AddDevice(BenchOperation operation, double microseconds) => Add(Device, operation, microseconds);

    /// <summary>Adds a host sample.</summary>
    public void AddHost(BenchOperation operation, double microseconds) => Add(Host, operation, microseconds);

    private static void Add(Dictionary<BenchOperation, List<double>> samples, BenchOperation operation, double value)
    {
        if (!samples.TryGetValue(operation, out List<double>? list))
        {
            samples[operation] = list = [];
        }

        list.Add(value);
    }
}
