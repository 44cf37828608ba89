using System;
using System.ComponentModel;

namespace Ep;

/// <summary>
/// Shape checks that generated layers inline before every call into the engine. Each failure names the argument,
/// the quantity, the expected and the actual value (<see cref="EpShapeException"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EpShape
{
    /// <summary>Requires a two-dimensional tensor of exactly <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    public static void RequireMatrix<T>(DeviceTensor<T>? tensor, string name, long rows, string rowsMeaning, long columns, string columnsMeaning)
        where T : unmanaged
    {
        RequireDimensions(tensor, name, 2);
        RequireColumns(tensor!, name, columns, columnsMeaning);
        RequireRows(tensor!, name, rows, rowsMeaning);
    }

    /// <summary>Requires a one-dimensional tensor of exactly <paramref name="length"/> elements.</summary>
    public static void RequireVector<T>(DeviceTensor<T>? tensor, string name, long length, string lengthMeaning)
        where T : unmanaged
    {
        RequireDimensions(tensor, name, 1);
        RequireRows(tensor!, name, length, lengthMeaning);
    }

    /// <summary>Requires a non-null tensor with <paramref name="dimensions"/> dimensions.</summary>
    public static void RequireDimensions<T>(DeviceTensor<T>? tensor, string name, int dimensions)
        where T : unmanaged
    {
        if (tensor is null)
        {
            throw new ArgumentNullException(name);
        }

        if (tensor.Dimensions != dimensions)
        {
            throw new EpShapeException(name, "dimensions", dimensions, tensor.Dimensions);
        }
    }

    /// <summary>Requires exactly <paramref name="columns"/> columns.</summary>
    public static void RequireColumns<T>(DeviceTensor<T> tensor, string name, long columns, string meaning)
        where T : unmanaged
    {
        if (tensor.Columns != columns)
        {
            throw new EpShapeException(name, "columns (" + meaning + ")", columns, tensor.Columns);
        }
    }

    /// <summary>Requires exactly <paramref name="rows"/> rows.</summary>
    public static void RequireRows<T>(DeviceTensor<T> tensor, string name, long rows, string meaning)
        where T : unmanaged
    {
        if (tensor.Rows != rows)
        {
            throw new EpShapeException(name, "rows (" + meaning + ")", rows, tensor.Rows);
        }
    }

    /// <summary>Requires at most <paramref name="maxRows"/> rows.</summary>
    public static void RequireRowsAtMost<T>(DeviceTensor<T> tensor, string name, long maxRows, string meaning)
        where T : unmanaged
    {
        if (tensor.Rows > maxRows)
        {
            throw new EpShapeException(name, "at most rows (" + meaning + ")", maxRows, tensor.Rows);
        }
    }

    /// <summary>Requires the tensor to live on <paramref name="device"/>.</summary>
    public static void RequireDevice<T>(DeviceTensor<T> tensor, string name, EpDevice device)
        where T : unmanaged
    {
        if (tensor.Device != device)
        {
            throw new ArgumentException($"{name}: expected a tensor on {device}, got one on {tensor.Device}.", name);
        }
    }
}
