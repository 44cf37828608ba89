using System.Globalization;
using Ep.Interop.Nccl;

namespace Ep.Interop.NcclEp;

/// <summary>The versions a loaded NCCL EP and its libnccl report, and whether Ep can drive them.</summary>
internal sealed record NcclEpVersions(int NcclEpCode, int NcclCode)
{
    /// <summary>"major.minor.patch" of an NCCL-style version code (major × 10000 + minor × 100 + patch).</summary>
    public static string Format(int code) => string.Create(CultureInfo.InvariantCulture, $"{code / 10000}.{code / 100 % 100}.{code % 100}");

    /// <summary>
    /// Null when usable; otherwise why not. NCCL EP's kernels inline NCCL's device API, so a libnccl older than the
    /// headers it was built against (2.30.3 for v0.1) fails inside the library rather than with an error code.
    /// </summary>
    public string? Problem()
    {
        if (NcclEpCode / 100 != NcclEpConstants.SupportedVersionCode / 100)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"NCCL EP {Format(NcclEpCode)} is loaded, but Ep binds NCCL EP {Format(NcclEpConstants.SupportedVersionCode)} (nccl_ep.h API version {NcclEpConstants.ApiVersion}); point EP_NCCL_EP_LIBRARY at a v0.1 build.");
        }

        if (NcclCode < NcclEpConstants.MinimumNcclVersionCode)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"NCCL {Format(NcclCode)} is loaded, but NCCL EP needs NCCL ≥ {Format(NcclEpConstants.MinimumNcclVersionCode)}; point EP_NCCL_LIBRARY at the libnccl NCCL EP was built with.");
        }

        return null;
    }

    /// <summary>Loads both libraries and reads their versions; throws <see cref="EpNativeLibraryException"/> when either is missing.</summary>
    public static NcclEpVersions Read()
    {
        NativeLibraryLoader.Load(NativeLibraryCandidates.Nccl);
        NativeLibraryLoader.Load(NativeLibraryCandidates.NcclEp);
        NcclException.ThrowIfFailed(NcclEpNative.GetVersion(out int ep));
        NcclException.ThrowIfFailed(Nccl.Nccl.GetVersion(out int nccl));
        return new NcclEpVersions(ep, nccl);
    }

    /// <summary>Reads the versions and throws <see cref="EpNativeLibraryException"/> naming the mismatch when Ep cannot use them.</summary>
    public static NcclEpVersions RequireUsable()
    {
        NcclEpVersions versions = Read();
        if (versions.Problem() is { } problem)
        {
            throw new EpNativeLibraryException(problem);
        }

        return versions;
    }
}
