using System;
using System.Globalization;
using System.Threading;
using Ep.Interop.Cuda;
using Ep.Kernels;

namespace Ep.Engines.Staged;

/// <summary>
/// The Staged engine for ranks simulated as threads on one GPU: the layer's generated kernels (NVRTC, compiled once per
/// process per source) on one stream per rank, and an exchange of device-to-device copies between the ranks' buffers.
/// </summary>
internal sealed class StagedEngine : IEpEngine
{
    private readonly SimulatedWorld _world;
    private readonly int _rank;
    private readonly EpDevice _device;
    private readonly CudaDevice _cuda;
    private readonly CudaStreamHandle _stream;
    private readonly StagedExchange _exchange;
    private long _windows;

    /// <summary>Collective: every simulated rank creates its engine (the exchange learns its peers' events).</summary>
    public StagedEngine(SimulatedWorld world, int rank, EpDevice device)
    {
        if (device.IsCpu)
        {
            throw new ArgumentException("The Staged engine runs on a GPU.", nameof(device));
        }

        _world = world;
        _rank = rank;
        _device = device;
        _cuda = CudaDevice.Current(device.Ordinal);
        _stream = CudaStreamHandle.Create();
        _exchange = new StagedExchange(world, rank, _stream);
        Reason = string.Create(CultureInfo.InvariantCulture,
            $"{world.Ranks} rank(s) simulated on {_cuda.Name} ({_cuda.Architecture}, {device}): NVRTC kernels, device-to-device exchange");
    }

    public EpEngineKind Kind => EpEngineKind.Staged;

    public string Reason { get; }

    public IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName)
    {
        _cuda.MakeCurrent();
        KernelModule module = StagedKernels.Load(kernelSource, layerName, _cuda);
        return new StagedLayer(spec, _world, _rank, _cuda, _stream, _exchange, new StagedKernels(module, _stream),
            spec.ZeroCopy ? AllocateSymmetric<BFloat16> : null, _device);
    }

    /// <summary>
    /// Device memory standing in for a symmetric window: ranks simulated on one GPU share one address space, so any
    /// allocation is reachable by every peer. The id counts allocations, which every rank makes in the same order.
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
        _stream.Synchronize();
        _exchange.Dispose();
        _stream.Dispose();
    }
}
