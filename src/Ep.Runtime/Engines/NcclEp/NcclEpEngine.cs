using System;
using System.Globalization;
using Ep.Engines.Staged;
using Ep.Interop.Cuda;
using Ep.Interop.NcclEp;

namespace Ep.Engines.NcclEp;

/// <summary>
/// The NcclEp engine on one rank: NVIDIA's NCCL EP moves the tokens (dispatch, combine and their backward directions),
/// and the layer's generated kernels validate routing beforehand and do the local reorderings (Permute, Unpermute and
/// their gradients). One NCCL EP group and handle per layer instance; the communicator belongs to the caller.
/// </summary>
internal sealed class NcclEpEngine : IEpEngine
{
    private readonly IntPtr _communicator;
    private readonly int _rank;
    private readonly int _ranks;
    private readonly EpDevice _device;
    private readonly CudaDevice _cuda;
    private readonly CudaStreamHandle _stream;
    private readonly NcclSymmetricAllocator _symmetric;

    /// <summary>Binds to <paramref name="communicator"/> (rank <paramref name="rank"/> of <paramref name="ranks"/>) on <paramref name="device"/>.</summary>
    public NcclEpEngine(IntPtr communicator, int rank, int ranks, EpDevice device)
    {
        if (device.IsCpu)
        {
            throw new ArgumentException("The NcclEp engine runs on a GPU.", nameof(device));
        }

        NcclEpVersions versions = NcclEpVersions.RequireUsable();
        _communicator = communicator;
        _rank = rank;
        _ranks = ranks;
        _device = device;
        _cuda = CudaDevice.Current(device.Ordinal);
        _stream = CudaStreamHandle.Create();
        _symmetric = new NcclSymmetricAllocator(communicator, device);
        Reason = string.Create(CultureInfo.InvariantCulture,
            $"NCCL EP {NcclEpVersions.Format(versions.NcclEpCode)} on NCCL {NcclEpVersions.Format(versions.NcclCode)}, {_cuda.Name} ({_cuda.Architecture}), rank {rank} of {ranks}");
    }

    public EpEngineKind Kind => EpEngineKind.NcclEp;

    public string Reason { get; }

    public IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName)
    {
        _cuda.MakeCurrent();
        var kernels = new StagedKernels(StagedKernels.Load(kernelSource, layerName, _cuda), _stream);
        return new NcclEpLayer(spec, _communicator, _rank, _ranks, _cuda, _stream, kernels, _device);
    }

    public SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
        where T : unmanaged
    {
        _cuda.MakeCurrent();
        return _symmetric.Allocate<T>(rows, columns);
    }

    public void Dispose()
    {
        _cuda.MakeCurrent();
        _stream.Synchronize();
        _stream.Dispose();
    }
}
