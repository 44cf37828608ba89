using System;
using System.Runtime.CompilerServices;
using Ep.Interop.Cuda;
using Xunit;

namespace Ep.Gpu.Tests;

/// <summary>Whether this machine can run the GPU tests; computed once.</summary>
public static class GpuAvailability
{
    private static readonly Lazy<int> DeviceCount = new(CudaDevice.Count);

    /// <summary>True when a CUDA driver and at least one device are present.</summary>
    public static bool HasGpu => DeviceCount.Value > 0;
}

/// <summary>A test that needs a CUDA GPU; it is skipped, with the reason, on machines without one (CI).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        SkipUnless = nameof(GpuAvailability.HasGpu);
        SkipType = typeof(GpuAvailability);
        Skip = "No CUDA driver or device on this machine; run the GPU suite on a GPU machine (see README).";
    }
}

/// <summary>A theory that needs a CUDA GPU; skipped without one.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuTheoryAttribute : TheoryAttribute
{
    public GpuTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        SkipUnless = nameof(GpuAvailability.HasGpu);
        SkipType = typeof(GpuAvailability);
        Skip = "No CUDA driver or device on this machine; run the GPU suite on a GPU machine (see README).";
    }
}
