using System;
using System.Globalization;
using System.Threading;
using Ep.Interop.Cuda;
using Ep.Kernels;

namespace Ep.Engines.Staged;

/// <summary>
/// The Staged engine: the layer's generated kernels (NVRTC, compiled once per process per source) on one stream per
/// rank, and a token exchange through the rank's <see cref="IStagedTransport"/>: device-to-device copies between
/// ranks simulated as threads on one GPU (<see cref="ForSimulatedRank"/>), or NCCL grouped send/recv between processes
/// (<see cref="ForCommunicator"/>).
/// </summary>
internal sealed class StagedEngine : IEpEngine
{
    private readonly int _rank;
    private readonly int _ranks;
    private readonly EpDevice _device;
    private readonly CudaDevice _cuda;
    private readonly CudaStreamHandle _stream;
    private readonly IStagedTransport _transport;
    private long _windows;

    private StagedEngine(int rank, int ranks, EpDevice device, string worldText, Func<CudaStreamHandle, IStagedTransport> connect)
    {
        if (device.IsCpu)
        {
            throw new ArgumentException("The Staged engine runs on a GPU.", nameof(device));
        }

        _rank = rank;
        _ranks = ranks;
        _device = device;
        _cuda = CudaDevice.Current(device.Ordinal);
        _stream = CudaStreamHandle.Create();
        try
        {
            _transport = connect(_stream);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }

        Reason = string.Create(CultureInfo.InvariantCulture,
            $"{worldText} on {_cuda.Name} ({_cuda.Architecture}, {device}): NVRTC kernels, {_transport.Description}");
    }

    public EpEngineKind Kind => EpEngineKind.Staged;

    public string Reason { get; }

    /// <summary>Collective over <paramref name="world"/>: rank <paramref name="rank"/> of ranks simulated as threads on one GPU.</summary>
    public static StagedEngine ForSimulatedRank(SimulatedWorld world, int rank, EpDevice device) =>
        new(rank, world.Ranks, device, string.Create(CultureInfo.InvariantCulture, $"{world.Ranks} rank(s) simulated"),
            stream => new SimulatedStagedTransport(world, rank, stream));

    /// <summary>
    /// Rank <paramref name="rank"/> of <paramref name="worldSize"/> processes sharing the NCCL communicator
    /// <paramref name="communicator"/>, running on <paramref name="device"/> (the GPU the communicator was created on).
    /// With <paramref name="ownsCommunicator"/> the engine ends it on disposal (destroy, or abort after a failure);
    /// otherwise the caller keeps it and ends it after the engine's group.
    /// </summary>
    /// <exception cref="EpConfigurationException">The loaded NCCL is older than 2.18, or the communicator's rank or size differ.</exception>
    public static StagedEngine ForCommunicator(IntPtr communicator, int rank, int worldSize, EpDevice device, bool ownsCommunicator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        return new(rank, worldSize, device, string.Create(CultureInfo.InvariantCulture, $"rank {rank} of {worldSize} process(es)"),
            stream => NcclStagedTransport.Create(communicator, rank, worldSize, ownsCommunicator, stream));
    }

    public IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName)
    {
        _cuda.MakeCurrent();
        KernelModule module = StagedKernels.Load(kernelSource, layerName, _cuda);
        var layer = new StagedLayer(spec, _transport, _rank, _ranks, _cuda, _stream, new StagedKernels(module, _stream),
            spec.ZeroCopy ? AllocateSymmetric<BFloat16> : null, _device);
        return new StagedFailureTrackingLayer(layer, _transport);
    }

    /// <summary>
    /// Device memory standing in for a symmetric window. Ranks simulated on one GPU share one address space, so any
    /// allocation is reachable by every peer; over NCCL the exchange is send/recv, which needs no registered window.
    /// The id counts allocations, which every rank makes in the same order.
    /// </summary>
    public SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
        where T : unmanaged
    {
        _cuda.MakeCurrent();
        long length = (long)rows * columns;
        DeviceStorage<T> storage = DeviceStorage<T>.Allocate(_device, length);
        var window = new SymmetricWindow(Interlocked.Increment(ref _windows), length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), IntPtr.Zero);
        return new SymmetricTensor<T>(storage, 0, rows, columns, 2, ownsStorage: true, window, 0);
    }

    public void Dispose()
    {
        _cuda.MakeCurrent();
        if (!_transport.Failed)
        {
            // Healthy: let issued work finish. After a failure the stream may wait on a peer forever; the transport aborts instead.
            _stream.Synchronize();
        }

        _transport.Dispose();
        _stream.Dispose();
    }
}
