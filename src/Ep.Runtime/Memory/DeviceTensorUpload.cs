using System;
using System.Globalization;

namespace Ep;

/// <summary>Creates <see cref="DeviceTensor{T}"/>s from host data (the element type is inferred from the array).</summary>
public static class DeviceTensor
{
    /// <summary>
    /// Allocates a <paramref name="rows"/> × <paramref name="columns"/> tensor on <paramref name="device"/> and copies
    /// <paramref name="data"/> into it: how a step's tokens, routing and gradients reach the GPU. With zero rows nothing
    /// is copied (a rank without tokens passes an empty array).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> does not hold exactly rows × columns elements.</exception>
    public static DeviceTensor<T> Upload<T>(EpDevice device, T[] data, int rows, int columns)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != (long)rows * columns)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"data has {data.LongLength} elements but a [{rows}, {columns}] tensor needs {(long)rows * columns}."),
                nameof(data));
        }

        DeviceTensor<T> tensor = DeviceTensor<T>.Allocate(device, rows, columns);
        try
        {
            if (data.Length > 0)
            {
                tensor.CopyFrom(data);
            }

            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
