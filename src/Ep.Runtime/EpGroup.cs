using System;
using System.Collections.Generic;
using System.Globalization;
using Ep.Interop.Nccl;

namespace Ep;

/// <summary>
/// One rank's membership in an expert-parallel communicator, and the engine that runs its layers.
/// Layers are created on a group and must be disposed before it; the group is disposed before its communicator.
/// </summary>
/// <remarks>
/// Groups come from <see cref="EpWorld.RunSimulated(int, Action{EpGroup})"/> (ranks as threads of one process),
/// <see cref="FromEnvironment()"/> (one process per rank, bootstrapped from launcher variables) or
/// <see cref="FromCommunicator(IntPtr, EpDevice)"/> (a communicator the caller already has).
/// Every rank must create its layers, and call their collective methods, in the same order.
/// </remarks>
public sealed partial class EpGroup : IDisposable
{
    private readonly HashSet<EpLayerRuntime> _liveLayers = new();
    private readonly object _gate = new();
    private readonly NcclCommunicatorHandle? _ownedCommunicator;
    private volatile bool _failed;
    private bool _disposed;

    internal EpGroup(int rank, int worldSize, EpDevice device, IEpEngine engine)
        : this(rank, worldSize, device, engine, IntPtr.Zero, ownedCommunicator: null)
    {
    }

    internal EpGroup(int rank, int worldSize, EpDevice device, IEpEngine engine, IntPtr communicator, NcclCommunicatorHandle? ownedCommunicator)
    {
        Rank = rank;
        WorldSize = worldSize;
        Device = device;
        Engine = engine;
        Communicator = communicator;
        _ownedCommunicator = ownedCommunicator;
    }

    /// <summary>This rank, in [0, WorldSize).</summary>
    public int Rank { get; }

    /// <summary>Number of ranks R.</summary>
    public int WorldSize { get; }

    /// <summary>Where this rank's tensors live.</summary>
    public EpDevice Device { get; }

    /// <summary>The engine that runs this group's layers.</summary>
    public EpEngineKind EngineKind => Engine.Kind;

    /// <summary>Why that engine was chosen.</summary>
    public string EngineReason => Engine.Reason;

    internal IEpEngine Engine { get; }

    /// <summary>The <c>ncclComm_t</c> of a multi-process group (owned or borrowed); zero for simulated ranks.</summary>
    internal IntPtr Communicator { get; }

    /// <summary>Engines call this when a native call failed, so that disposal aborts the communicator instead of destroying it.</summary>
    internal void MarkFailed() => _failed = true;

    /// <summary>
    /// Collective: allocates a zeroed <paramref name="rows"/> × <paramref name="columns"/> tensor in symmetric memory,
    /// at the same window offset on every rank. Every rank must call it with the same shape, in the same order.
    /// </summary>
    public SymmetricTensor<T> AllocateSymmetric<T>(int rows, int columns)
        where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        return Engine.AllocateSymmetric<T>(rows, columns);
    }

    /// <summary>
    /// Disposes the engine, then the communicator when the group created it (<see cref="FromEnvironment()"/>): destroyed,
    /// or aborted when the engine failed or NCCL reports an error. A borrowed communicator is left to its owner.
    /// Throws if layers created on this group are still alive.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_liveLayers.Count > 0)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Rank {Rank}: {_liveLayers.Count} layer(s) created on this group are still alive ({string.Join(", ", Names(_liveLayers))}); dispose every layer before its group."));
            }

            _disposed = true;
        }

        try
        {
            Engine.Dispose();
        }
        catch
        {
            _failed = true;
            throw;
        }
        finally
        {
            ReleaseOwnedCommunicator();
        }
    }

    private void ReleaseOwnedCommunicator()
    {
        if (_ownedCommunicator is null)
        {
            return;
        }

        if (_failed || _ownedCommunicator.HasAsyncError())
        {
            _ownedCommunicator.AbortOnRelease();
        }

        _ownedCommunicator.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"EpGroup(rank {Rank} of {WorldSize}, {Device}, {EngineKind})");

    internal void Attach(EpLayerRuntime layer)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            _liveLayers.Add(layer);
        }
    }

    internal void Detach(EpLayerRuntime layer)
    {
        lock (_gate)
        {
            _liveLayers.Remove(layer);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static IEnumerable<string> Names(IEnumerable<EpLayerRuntime> layers)
    {
        foreach (EpLayerRuntime layer in layers)
        {
            yield return layer.LayerName;
        }
    }
}
