using Ep.Interop.Cuda;

namespace Ep.Engines.NcclEp;

/// <summary>A LowLatency step captured by <see cref="NcclEpLayer.CaptureStep"/>: one graph launch per replay.</summary>
internal sealed class NcclEpGraphStep(CudaGraph graph, CudaStreamHandle stream, NcclEpStepErrors errors, DeviceTensor<BFloat16> combined)
    : IStepReplay
{
    public bool IsGraph => true;

    public void Replay() => graph.Launch(stream);

    public DeviceTensor<BFloat16> Wait()
    {
        errors.ThrowIfAny();
        return combined;
    }

    public void Dispose()
    {
        stream.Synchronize();
        graph.Dispose();
        errors.Dispose();
    }
}
