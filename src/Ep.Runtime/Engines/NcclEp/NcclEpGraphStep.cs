using System;
using Ep.Interop.Cuda;

namespace Ep.Engines.NcclEp;

/// <summary>
/// A step captured by <see cref="NcclEpLayer.CaptureStep"/>: one graph launch per replay. <paramref name="beforeReplay"/>
/// tells the layer that the graph is about to update its handle (eager Dispatch must not keep a handle the graph replaced).
/// A training step also has its <paramref name="gradients"/> (views the graph writes) and may own a buffer of its own
/// (<paramref name="owned"/>, freed with the graph).
/// </summary>
internal sealed class NcclEpGraphStep(CudaGraph graph, CudaStreamHandle stream, NcclEpStepRecords records, DeviceTensor<BFloat16> combined,
    Action beforeReplay, EpDispatchGradients? gradients, IDisposable? owned) : IStepReplay
{
    public bool IsGraph => true;

    public EpDispatchGradients? Gradients => gradients;

    public void Replay()
    {
        beforeReplay();
        graph.Launch(stream);
    }

    public DeviceTensor<BFloat16> Wait()
    {
        records.ThrowIfAny();
        return combined;
    }

    public void Dispose()
    {
        stream.Synchronize();
        graph.Dispose();
        records.Dispose();
        owned?.Dispose();
    }
}
