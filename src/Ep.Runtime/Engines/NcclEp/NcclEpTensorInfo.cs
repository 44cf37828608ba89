using System;
using System.Globalization;
using Ep.Interop.Nccl;

namespace Ep.Engines.NcclEp;

/// <summary>
/// What NCCL EP will be told about one tensor: its name (for messages), element type, shape and whether it is passed
/// by window (<c>win_hdl</c> + offset) instead of by pointer. Built from a <see cref="DeviceTensor{T}"/> or by hand in tests.
/// A value: describing a call's tensors allocates nothing.
/// </summary>
internal readonly record struct NcclEpTensorInfo(string Name, NcclDataType? DataType, string ElementTypeName, int Dimensions, int Rows, int Columns, bool WindowBacked)
{
    /// <summary>Describes <paramref name="tensor"/> as the engine would pass it; <paramref name="asWindow"/> when it goes by window.</summary>
    public static NcclEpTensorInfo Of<T>(DeviceTensor<T> tensor, string name, bool asWindow = false)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (asWindow && tensor is not SymmetricTensor<T>)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{name}: only a SymmetricTensor can be passed by window; got a plain {tensor.ShapeText} tensor."), name);
        }

        return new NcclEpTensorInfo(name, DataTypeOf<T>(), typeof(T).Name, tensor.Dimensions, tensor.Rows, tensor.Columns, asWindow);
    }

    /// <summary>A two-dimensional descriptor (tests and engine-internal buffers).</summary>
    public static NcclEpTensorInfo Matrix(string name, NcclDataType dataType, int rows, int columns, bool windowBacked = false) =>
        new(name, dataType, TypeName(dataType), 2, rows, columns, windowBacked);

    /// <summary>A one-dimensional descriptor.</summary>
    public static NcclEpTensorInfo Vector(string name, NcclDataType dataType, int length, bool windowBacked = false) =>
        new(name, dataType, TypeName(dataType), 1, length, 1, windowBacked);

    /// <summary>The NCCL type of <typeparamref name="T"/>, or null when NCCL EP has none for it.</summary>
    public static NcclDataType? DataTypeOf<T>()
        where T : unmanaged
    {
        Type type = typeof(T);
        if (type == typeof(BFloat16))
        {
            return NcclDataType.BFloat16;
        }

        if (type == typeof(float))
        {
            return NcclDataType.Float32;
        }

        if (type == typeof(long))
        {
            return NcclDataType.Int64;
        }

        if (type == typeof(int))
        {
            return NcclDataType.Int32;
        }

        return type == typeof(byte) ? NcclDataType.UInt8 : null;
    }

    /// <summary>The name of <paramref name="dataType"/> as messages print it (a constant for the types Ep passes: no allocation).</summary>
    private static string TypeName(NcclDataType dataType) => dataType switch
    {
        NcclDataType.BFloat16 => nameof(NcclDataType.BFloat16),
        NcclDataType.Float32 => nameof(NcclDataType.Float32),
        NcclDataType.Int64 => nameof(NcclDataType.Int64),
        NcclDataType.Int32 => nameof(NcclDataType.Int32),
        NcclDataType.UInt8 => nameof(NcclDataType.UInt8),
        _ => dataType.ToString(),
    };

    /// <summary>The shape as NCCL EP's sizes would read, e.g. <c>[4096, 7168]</c>.</summary>
    public string ShapeText => Dimensions == 1
        ? string.Create(CultureInfo.InvariantCulture, $"[{Rows}]")
        : string.Create(CultureInfo.InvariantCulture, $"[{Rows}, {Columns}]");
}
