using Ep.Bench.Metrics;

namespace Ep.Bench.Graphs;

/// <summary>
/// A captured step's replays beside the same engine's eager calls doing the same work (Dispatch + Combine, the experts
/// being the identity in both): device time between events around each launch, host time of the launch call, and the
/// managed bytes each launch allocates.
/// </summary>
/// <param name="Device">Device time per replay, µs.</param>
/// <param name="Host">Host time of <c>Replay()</c> alone (it enqueues the graph and returns), µs.</param>
/// <param name="Allocated">Managed bytes allocated per <c>Replay()</c>.</param>
/// <param name="EagerDevice">Median device time of the eager calls doing the same work in the same run, µs (see <see cref="EagerWork"/>).</param>
/// <param name="EagerHost">Median host time of those eager calls in the same run, µs.</param>
/// <param name="EpBenchDevice">ep_bench's dispatch + combine times in the same run, µs, when it ran.</param>
/// <param name="Parts">NcclEp: the replays' parts from events inside the graph.</param>
/// <param name="LowLatency">Whether the step is LowLatency's (Dispatch → experts → Combine) rather than HighThroughput's (with Permute and Unpermute).</param>
/// <param name="Training">Whether the step is a HighThroughput training step (the forward, then the backward pass).</param>
internal sealed record CudaGraphTiming(SampleSummary Device, SampleSummary Host, SampleSummary Allocated, double? EagerDevice, double? EagerHost,
    double? EpBenchDevice = null, GraphSplit? Parts = null, bool LowLatency = true, bool Training = false)
{
    /// <summary>What one replay runs, for the table.</summary>
    public string Work => (LowLatency, Training) switch
    {
        (true, _) => "Dispatch → identity experts → Combine",
        (false, false) => "Dispatch → Permute → identity experts → Unpermute → Combine",
        (false, true) => "the forward step, then CombineBackward → UnpermuteBackward → identity experts → PermuteBackward → DispatchBackward",
    };

    /// <summary>The eager calls <see cref="EagerDevice"/> and <see cref="EagerHost"/> time.</summary>
    public string EagerWork => (LowLatency, Training) switch
    {
        (true, _) => "eager Dispatch + Combine",
        (false, false) => "the eager forward (Dispatch, Permute, Unpermute, Combine)",
        (false, true) => "the eager forward + backward step",
    };

    /// <summary>ep_bench's dispatch + combine time ÷ replay device time (above 1: the whole captured step is faster).</summary>
    public double? EpBenchRatio => EpBenchDevice / Device.Median;

    /// <summary>Eager device time ÷ replay device time.</summary>
    public double? DeviceSpeedup => EagerDevice / Device.Median;

    /// <summary>Eager host time ÷ replay host time.</summary>
    public double? HostSpeedup => EagerHost / Host.Median;
}
