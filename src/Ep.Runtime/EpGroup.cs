using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ep;

/// <summary>
/// One rank's membership in an expert-parallel communicator, and the engine that runs its layers.
/// Layers are created on a group and must be disposed before it; the group is disposed before its communicator.
/// </summary>
/// <remarks>
/// Groups come from <see cref="EpWorld.RunSimulated(int, Action{EpGroup})"/> (ranks as threads of one process).
/// Every rank must create its layers, and call their collective methods, in the same order.
/// </remarks>
public sealed class EpGroup : IDisposable
{
    private readonly HashSet<EpLayerRuntime> _liveLayers = new();
    private readonly object _gate = new();
    private bool _disposed;

    internal EpGroup(int rank, int worldSize, EpDevice device, IEpEngine engine)
    {
        Rank = rank;
        WorldSize = worldSize;
        Device = device;
        Engine = engine;
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

    /// <summary>Disposes the engine. Throws if layers created on this group are still alive.</summary>
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

        Engine.Dispose();
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
