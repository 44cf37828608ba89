using System;
using System.Globalization;

namespace Ep;

/// <summary>
/// The CPU engine: ranks are threads of one process (<see cref="SimulatedWorld"/>), tensors live in host memory, and
/// every operation is the executable form of docs/semantics.md. GPU engines are tested against it.
/// </summary>
internal sealed class ReferenceEngine : IEpEngine
{
    private readonly SimulatedWorld _world;
    private readonly int _rank;
    private long _symmetricAllocations;

    internal ReferenceEngine(SimulatedWorld world, int rank)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, world.Ranks);
        _world = world;
        _rank = rank;
    }

    public EpEngineKind Kind => EpEngineKind.Reference;

    public string Reason => "CPU: no GPU requested";

    public IEpLayerEngine CreateLayer(EpLayerSpec spec, string kernelSource, string layerName)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(layerName);

        // kernelSource is for GPU engines; the Reference engine computes the same thing in C#.
        return new ReferenceLayerEngine(spec, layerName, _world, _rank, this);
    }

    /// <summary>
    /// Collective: every rank allocates its own host copy, and the ranks agree on the window id (the allocation's
    /// sequence number) after checking that they asked for the same shape. Each allocation is its own window, so the
    /// offset within it is 0 on every rank.
    /// </summary>
    public SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
        where T : unmanaged
    {
        long id = _symmetricAllocations++;
        long sizeBytes = (long)rows * columns * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var request = (Id: id, Rows: rows, Columns: columns, Bytes: sizeBytes);
        var requests = _world.AllGather(_rank, request, "AllocateSymmetric");
        foreach (var other in requests)
        {
            if (other != request)
            {
                throw new EpConfigurationException(string.Create(CultureInfo.InvariantCulture,
                    $"AllocateSymmetric is collective: rank {_rank} asked for allocation #{id} of [{rows}, {columns}] ({sizeBytes} bytes) but another rank asked for #{other.Id} of [{other.Rows}, {other.Columns}] ({other.Bytes} bytes); every rank must allocate the same shapes in the same order."));
            }
        }

        var window = new SymmetricWindow(id, sizeBytes, IntPtr.Zero);
        return new SymmetricTensor<T>(new HostStorage<T>(new T[(long)rows * columns]), 0, rows, columns, 2, ownsStorage: true, window, 0);
    }

    public void Dispose()
    {
        // Host memory belongs to the tensors; nothing native to release.
    }
}
