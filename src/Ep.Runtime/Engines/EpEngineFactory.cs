using System;
using Ep.Engines.NcclEp;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;

namespace Ep;

/// <summary>
/// The one place that picks the engine for a group whose ranks are processes joined by an NCCL communicator
/// (<see cref="EpGroup.FromEnvironment()"/>, <see cref="EpGroup.FromCommunicator(IntPtr, EpDevice)"/>): NcclEp when
/// NCCL EP loads and the GPU can run it, else Staged over NCCL; <c>EP_ENGINE</c> forces one (docs/engines.md).
/// </summary>
internal static class EpEngineFactory
{
    /// <summary>The engine for this rank of <paramref name="communicator"/>; the group keeps owning the communicator.</summary>
    /// <exception cref="EpConfigurationException">The requested engine cannot run here, or none can; the message says why.</exception>
    internal static IEpEngine ForCommunicator(IntPtr communicator, int rank, int worldSize, EpDevice device)
    {
        CudaDevice cuda = CudaDevice.Current(device.Ordinal);
        var input = new EpEngineSelectionInput
        {
            Preference = new EpGroupOptions().ResolveEngine(),
            Device = device,
            Gpu = new GpuCapability(cuda.ComputeMajor, cuda.ComputeMinor, cuda.MultiprocessorCount),
            Processes = EpProcessKind.Processes,
            NcclEp = NcclEpAvailability.Probe(),
        };
        EpEngineSelection selection = EpEngineSelector.Select(input);
        IEpEngine engine = selection.Kind == EpEngineKind.NcclEp
            ? new NcclEpEngine(communicator, rank, worldSize, device, stagedForUnfitLayers: input.Preference == EpEnginePreference.Auto)
            : StagedEngine.ForCommunicator(communicator, rank, worldSize, device, ownsCommunicator: false);
        return new SelectedEngine(engine, selection.Reason + " (" + engine.Reason + ")");
    }

    /// <summary>An engine whose reason says why it was chosen as well as what it runs on.</summary>
    private sealed class SelectedEngine(IEpEngine engine, string reason) : IEpEngine
    {
        public EpEngineKind Kind => engine.Kind;

        public string Reason => reason;

        public IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName) => engine.CreateLayer(spec, kernelSource, layerName);

        public SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
            where T : unmanaged => engine.AllocateSymmetric<T>(rows, columns);

        public void Dispose() => engine.Dispose();
    }
}
