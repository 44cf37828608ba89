using System;
using System.Runtime.CompilerServices;
using Ep.Interop;
using Ep.Interop.NcclEp;
using Xunit;

namespace Ep.Gpu.Tests.NcclEp;

/// <summary>Whether NCCL EP can run here: a GPU, and an NCCL EP build with a new enough libnccl (EP_NCCL_EP_LIBRARY).</summary>
public static class NcclEpAvailability
{
    private static readonly Lazy<string?> Problem = new(FindProblem);

    /// <summary>True when a GPU is present and NCCL EP loads with versions Ep can drive.</summary>
    public static bool IsUsable => Problem.Value is null;

    /// <summary>Why not, for the skip message and for failing loudly where NCCL EP was promised.</summary>
    public static string? Reason => Problem.Value;

    private static string? FindProblem()
    {
        if (!GpuAvailability.HasGpu)
        {
            return "no CUDA device";
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("EP_NCCL_EP_LIBRARY")))
        {
            return "EP_NCCL_EP_LIBRARY is not set";
        }

        try
        {
            return NcclEpVersions.Read().Problem();
        }
        catch (EpNativeLibraryException e)
        {
            return e.Message;
        }
    }
}

/// <summary>A test that needs NCCL EP; skipped, with the reason, where it is not provided.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NcclEpFactAttribute : FactAttribute
{
    public NcclEpFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        SkipUnless = nameof(NcclEpAvailability.IsUsable);
        SkipType = typeof(NcclEpAvailability);
        Skip = "NCCL EP is not usable here (needs a GPU, EP_NCCL_EP_LIBRARY and EP_NCCL_LIBRARY pointing at NCCL EP 0.1 and libnccl >= 2.30.3).";
    }
}

/// <summary>A theory that needs NCCL EP; skipped, with the reason, where it is not provided.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NcclEpTheoryAttribute : TheoryAttribute
{
    public NcclEpTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        SkipUnless = nameof(NcclEpAvailability.IsUsable);
        SkipType = typeof(NcclEpAvailability);
        Skip = "NCCL EP is not usable here (needs a GPU, EP_NCCL_EP_LIBRARY and EP_NCCL_LIBRARY pointing at NCCL EP 0.1 and libnccl >= 2.30.3).";
    }
}
