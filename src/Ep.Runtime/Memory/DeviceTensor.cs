using System;
using System.Globalization;

namespace Ep;

/// <summary>
/// A one- or two-dimensional, row-major, contiguous tensor on a device (the CPU or a GPU).
/// Its element type is its dtype: generated layers take <c>DeviceTensor&lt;BFloat16&gt;</c> tokens,
/// <c>DeviceTensor&lt;long&gt;</c> routing ids and <c>DeviceTensor&lt;float&gt;</c> routing weights, so a wrong dtype does not compile.
/// </summary>
/// <remarks>
/// A tensor either owns its memory (made by <see cref="Allocate(EpDevice, int, int)"/> or <see cref="FromArray(T[], int, int)"/>)
/// or is a view of another tensor's rows (<see cref="SliceRows"/>, and the results layers return). Disposing a view
/// does nothing; disposing the owner frees the memory of every view.
/// </remarks>
public class DeviceTensor<T> : IDisposable
    where T : unmanaged
{
    private readonly bool _ownsStorage;

    private protected DeviceTensor(TensorStorage<T> storage, long offset, int rows, int columns, int dimensions, bool ownsStorage)
    {
        Storage = storage;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        Dimensions = dimensions;
        _ownsStorage = ownsStorage;
    }

    /// <summary>Where the elements live.</summary>
    public EpDevice Device => Storage.Device;

    /// <summary>Number of dimensions: 1 or 2.</summary>
    public int Dimensions { get; }

    /// <summary>Size of dimension 0.</summary>
    public int Rows { get; }

    /// <summary>Size of dimension 1 (1 for a one-dimensional tensor).</summary>
    public int Columns { get; }

    /// <summary>Rows × Columns.</summary>
    public long Length => (long)Rows * Columns;

    /// <summary>The shape as text, e.g. <c>[4096, 7168]</c>.</summary>
    public string ShapeText => Dimensions == 1
        ? string.Create(CultureInfo.InvariantCulture, $"[{Rows}]")
        : string.Create(CultureInfo.InvariantCulture, $"[{Rows}, {Columns}]");

    internal TensorStorage<T> Storage { get; }

    /// <summary>Element offset of row 0 within <see cref="Storage"/>.</summary>
    internal long Offset { get; }

    /// <summary>Allocates a two-dimensional tensor of zeros.</summary>
    public static DeviceTensor<T> Allocate(EpDevice device, int rows, int columns)
    {
        RequireShape(rows, columns);
        return new DeviceTensor<T>(CreateStorage(device, (long)rows * columns), 0, rows, columns, 2, ownsStorage: true);
    }

    /// <summary>Allocates a one-dimensional tensor of zeros.</summary>
    public static DeviceTensor<T> Allocate(EpDevice device, int length)
    {
        RequireShape(length, 1);
        return new DeviceTensor<T>(CreateStorage(device, length), 0, length, 1, 1, ownsStorage: true);
    }

    /// <summary>Wraps a host array as a <paramref name="rows"/> × <paramref name="columns"/> CPU tensor, without copying.</summary>
    public static DeviceTensor<T> FromArray(T[] data, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireShape(rows, columns);
        if (data.LongLength != (long)rows * columns)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"data has {data.LongLength} elements but a [{rows}, {columns}] tensor needs {(long)rows * columns}."),
                nameof(data));
        }

        return new DeviceTensor<T>(new HostStorage<T>(data), 0, rows, columns, 2, ownsStorage: true);
    }

    /// <summary>Wraps a host array as a one-dimensional CPU tensor, without copying.</summary>
    public static DeviceTensor<T> FromArray(T[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new DeviceTensor<T>(new HostStorage<T>(data), 0, data.Length, 1, 1, ownsStorage: true);
    }

    /// <summary>A view of rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), sharing memory.</summary>
    public DeviceTensor<T> SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || (long)start + count > Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count),
                string.Create(CultureInfo.InvariantCulture, $"rows [{start}, {(long)start + count}) are outside a tensor of {Rows} rows."));
        }

        return new DeviceTensor<T>(Storage, Offset + (long)start * Columns, count, Columns, Dimensions, ownsStorage: false);
    }

    /// <summary>The elements, for a CPU tensor. GPU tensors have no host view: use <see cref="CopyTo"/>.</summary>
    public Span<T> AsSpan()
    {
        if (!Device.IsCpu)
        {
            throw new InvalidOperationException($"A {Device} tensor has no host view; copy it with CopyTo or ToArray.");
        }

        return Storage.HostSpan(Offset, checked((int)Length));
    }

    /// <summary>Copies all elements to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<T> destination)
    {
        RequireLength(destination.Length, nameof(destination));
        Storage.CopyToHost(Offset, destination);
    }

    /// <summary>Copies <paramref name="source"/> over all elements.</summary>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        RequireLength(source.Length, nameof(source));
        Storage.CopyFromHost(Offset, source);
    }

    /// <summary>A host copy of the elements.</summary>
    public T[] ToArray()
    {
        var result = new T[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Frees the memory if this tensor owns it; views do nothing.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"DeviceTensor<{typeof(T).Name}>{ShapeText} on {Device}";

    /// <summary>Releases owned storage.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && _ownsStorage)
        {
            Storage.Dispose();
        }
    }

    private static TensorStorage<T> CreateStorage(EpDevice device, long length)
    {
        return device.IsCpu ? new HostStorage<T>(new T[length]) : DeviceStorage<T>.Allocate(device, length);
    }

    private static void RequireShape(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
    }

    private void RequireLength(int length, string name)
    {
        if (length != Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {length} elements but the tensor {ShapeText} has {Length}."), name);
        }
    }
}
