using System;
using System.Globalization;

namespace Ep;

/// <summary>Where a tensor lives and where an engine runs.</summary>
public enum EpDeviceKind
{
    /// <summary>Host memory; the Reference engine.</summary>
    Cpu = 0,
    /// <summary>A CUDA device.</summary>
    Gpu = 1,
}

/// <summary>A device: the CPU, or one CUDA GPU by ordinal.</summary>
public readonly record struct EpDevice
{
    private EpDevice(EpDeviceKind kind, int ordinal)
    {
        Kind = kind;
        Ordinal = ordinal;
    }

    /// <summary>CPU or GPU.</summary>
    public EpDeviceKind Kind { get; }

    /// <summary>CUDA device ordinal (0 for the CPU).</summary>
    public int Ordinal { get; }

    /// <summary>Host memory.</summary>
    public static EpDevice Cpu => default;

    /// <summary>The CUDA device with the given ordinal.</summary>
    public static EpDevice Gpu(int ordinal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        return new EpDevice(EpDeviceKind.Gpu, ordinal);
    }

    /// <summary>Number of CUDA GPUs this process can use; 0 when there is no CUDA driver or no device (never throws).</summary>
    public static int GpuCount => Ep.Interop.Cuda.CudaDevice.Count();

    /// <summary>True for the CPU.</summary>
    public bool IsCpu => Kind == EpDeviceKind.Cpu;

    /// <inheritdoc/>
    public override string ToString() => IsCpu ? "cpu" : "cuda:" + Ordinal.ToString(CultureInfo.InvariantCulture);
}
